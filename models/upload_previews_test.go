package models_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// TestUploadPreviews: a preview is taken once, only by its unit and clerk,
// only within UploadPreviewTTL; a newer preview of the same clerk replaces
// the older.
func TestUploadPreviews(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, clock := modelstest.NewStore(db)
		if _, err := demo.Seed(ctx, s, 2); err != nil {
			t.Fatal(err)
		}
		var units []int64
		if err := db.NewSelect().Table("units").Column("id").OrderExpr("id").Limit(2).Scan(ctx, &units); err != nil || len(units) != 2 {
			t.Fatalf("units %v: %v", units, err)
		}
		unit, other := units[0], units[1]
		keep := func(unitID, clerkID int64, body string) string {
			t.Helper()
			token, err := s.KeepUploadPreview(ctx, unitID, clerkID, []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			return token
		}
		take := func(token string, unitID, clerkID int64) []byte {
			t.Helper()
			body, err := s.TakeUploadPreview(ctx, token, unitID, clerkID)
			if err != nil {
				t.Fatal(err)
			}
			return body
		}

		token := keep(unit, 0, "rows")
		if b := take(token, other, 0); b != nil {
			t.Errorf("another unit took the preview: %q", b)
		}
		if b := take(token, unit, 7); b != nil {
			t.Errorf("a clerk took the unit's own preview: %q", b)
		}
		if b := take(token+"x", unit, 0); b != nil {
			t.Errorf("a wrong token took the preview: %q", b)
		}
		if b := take(token, unit, 0); !bytes.Equal(b, []byte("rows")) {
			t.Fatalf("took %q, want rows", b)
		}
		if b := take(token, unit, 0); b != nil {
			t.Errorf("taken twice: %q", b)
		}

		older := keep(unit, 0, "older")
		newer := keep(unit, 0, "newer")
		if b := take(older, unit, 0); b != nil {
			t.Errorf("the replaced preview was taken: %q", b)
		}
		if b := take(newer, unit, 0); string(b) != "newer" {
			t.Errorf("took %q, want newer", b)
		}

		late := keep(unit, 0, "late")
		clock.Advance(models.UploadPreviewTTL + time.Second)
		if b := take(late, unit, 0); b != nil {
			t.Errorf("an expired preview was taken: %q", b)
		}
		n, err := db.NewSelect().Table("upload_previews").Count(ctx)
		if err != nil || n != 0 {
			t.Errorf("%d previews left (%v), want none", n, err)
		}
	})
}
