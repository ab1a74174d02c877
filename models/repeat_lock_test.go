package models_test

import (
	"context"
	"testing"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// TestFilingLockLetsReferencesThrough (PostgreSQL): the lock a filing
// takes on its unit makes a second filing of the unit wait, but not a row
// that refers to the unit: the foreign-key check of an audit event or a
// print (FOR KEY SHARE) goes through. With FOR UPDATE it waited, and a
// print holding the audit chain's head deadlocked with a filing holding
// the unit.
func TestFilingLockLetsReferencesThrough(t *testing.T) {
	db := modelstest.MustOpenPG(t)
	ctx := context.Background()
	s, _ := modelstest.NewStore(db)
	if _, err := demo.Seed(ctx, s, 2); err != nil {
		t.Fatal(err)
	}
	var unitID int64
	if err := db.NewSelect().Table("units").Column("id").Order("id").Limit(1).Scan(ctx, &unitID); err != nil {
		t.Fatal(err)
	}
	filing, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer filing.Rollback()
	if err := models.LockUnitRow(ctx, filing, unitID); err != nil {
		t.Fatal(err)
	}
	other, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback()
	// What a foreign-key check takes: granted at once.
	if _, err := other.ExecContext(ctx, "SELECT 1 FROM units WHERE id = ? FOR KEY SHARE NOWAIT", unitID); err != nil {
		t.Errorf("a reference to the unit waits for a filing's lock: %v", err)
	}
	// Another filing's lock: refused while the first holds it.
	if _, err := other.ExecContext(ctx, "SELECT 1 FROM units WHERE id = ? FOR NO KEY UPDATE NOWAIT", unitID); err == nil {
		t.Error("a second filing's lock on the unit was granted while the first held it")
	}
}
