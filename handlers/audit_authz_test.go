package handlers_test

import (
	"context"
	"testing"

	"github.com/multicert/multicert/models"
)

// auditFixture makes, in 臺北 (own) and 北區 (other), a decision about a
// unit of the branch: the closing of demo unit 11 or 14 by the branch's
// staff (eid), and a sample of one decision drawn by the branch's supervisor
// (sid) with its item (iid). Units 11 and 14 are no other fixture's.
func auditFixture(t *testing.T, e *env, f fixture) {
	ctx := context.Background()
	var eid, sid, iid [2]int64
	for k, x := range []struct {
		unit         int
		branch       string
		staff, super string
	}{{11, "1", "taipei.staff", "taipei.super"}, {14, "2", "north.staff", "north.super"}} {
		unitID := e.unitID(x.unit)
		if err := e.store.SetUnitStatus(ctx, e.auditActor(x.staff), models.Scope{Branch: x.branch}, unitID,
			models.UnitClosed, "data_check", "fixture"); err != nil {
			t.Fatal(err)
		}
		var ev models.AuditEvent
		if err := e.db.NewSelect().Model(&ev).Where("action = 'unit.close' AND unit_id = ?", unitID).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		eid[k] = ev.ID
		smp, err := e.store.DrawSample(ctx, e.auditActor(x.super), models.Scope{Branch: x.branch}, 1)
		if err != nil {
			t.Fatal(err)
		}
		d, err := models.SampleByID(ctx, e.db, models.ScopeAll, smp.ID)
		if err != nil {
			t.Fatal(err)
		}
		sid[k], iid[k] = smp.ID, d.Items[0].ID
	}
	f["eid"], f["sid"], f["iid"] = eid, sid, iid
}
