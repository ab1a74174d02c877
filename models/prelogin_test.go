package models_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// One address may begin only so many logins within the window: a script
// cannot fill the sessions table; another address, a login already begun
// and the same address after the window are not affected.
func TestPreLoginSessionsCappedPerAddress(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, clk := modelstest.NewStore(db)
		token := func(i int) string { return fmt.Sprintf("%043d", i) }
		for i := 0; i < models.PreLoginPerAddress; i++ {
			if _, err := s.NewPreLoginSession(ctx, token(i), "203.0.113.9", "script"); err != nil {
				t.Fatalf("login %d: %v", i, err)
			}
		}
		_, err := s.NewPreLoginSession(ctx, token(models.PreLoginPerAddress), "203.0.113.9", "script")
		if !apperr.Is(err, apperr.Locked) {
			t.Fatalf("login over the cap: %v, want Locked", err)
		}
		if _, err := s.NewPreLoginSession(ctx, token(0), "203.0.113.9", "script"); err != nil {
			t.Errorf("a login already begun: %v", err)
		}
		if _, err := s.NewPreLoginSession(ctx, token(1_000_000), "198.51.100.7", "browser"); err != nil {
			t.Errorf("another address: %v", err)
		}
		clk.Advance(models.PreLoginWindow + 1)
		if _, err := s.NewPreLoginSession(ctx, token(models.PreLoginPerAddress+1), "203.0.113.9", "script"); err != nil {
			t.Errorf("after the window: %v", err)
		}
	})
}
