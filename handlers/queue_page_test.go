package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// TestQueuesPage: the review and approval queues show 50 items a page,
// oldest first, with how many wait in all; a page past the end shows the
// last, and a bad page number the first. A branch sees only its own.
func TestQueuesPage(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) { testQueuesPage(t, db) })
}

func testQueuesPage(t *testing.T, db *bun.DB) {
	e := newEnv(t, db)
	ctx := context.Background()
	const n = 80
	if _, err := demo.Seed(ctx, e.store, n); err != nil {
		t.Fatal(err)
	}
	var hq models.Staff
	if err := e.db.NewSelect().Model(&hq).Where("username = ?", "hq.staff").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	// The items of each queue in the order they came in, and how many are
	// 臺北's (branch 1).
	var reviews, deregs []string
	var taipeiReviews, taipeiDeregs int
	for i := range n {
		unitID := e.unitID(i)
		var branch string
		if err := e.db.NewSelect().Table("units").Column("branch_code").Where("id = ?", unitID).Scan(ctx, &branch); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(1e9) // a second apart: the order is the order they came in
		name := fmt.Sprintf("排隊測試第%02d有限公司", i)
		if _, err := e.store.SubmitChangeRequest(ctx, models.Actor{Kind: "unit", Name: "u", UnitID: unitID}, unitID, models.ChangeRequestInput{
			ChangeName: true, NewName: name, EffectiveDate: modelstest.Clock, ContactName: "王大明", ContactPhone: "(02)2345-6789",
			Documents: []models.Upload{{FileName: "a.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4 x")}}}); err != nil {
			t.Fatal(err)
		}
		reviews = append(reviews, ">"+demo.UnitCode(i)+" ") // the queue shows the unit by its code
		reason := fmt.Sprintf("排隊測試第%02d件", i)
		if _, err := e.store.RequestDeregistration(ctx, models.Actor{Kind: "staff", ID: hq.ID, Name: hq.Username}, models.ScopeAll, unitID, reason); err == nil {
			deregs = append(deregs, reason)
			if branch == "1" {
				taipeiDeregs++
			}
		}
		if branch == "1" {
			taipeiReviews++
		}
	}
	if len(deregs) <= 50 {
		t.Fatalf("only %d deregistrations could be asked for; the test needs more than a page", len(deregs))
	}
	for _, q := range []struct {
		path   string
		items  []string
		taipei int
	}{
		{"/console/reviews", reviews, taipeiReviews},
		{"/console/approvals", deregs, taipeiDeregs},
	} {
		c := e.staffClient("hq.super")
		all, last := len(q.items), q.items[len(q.items)-1]
		first := c.get(q.path)
		wantStatus(t, first, http.StatusOK)
		wantContains(t, first, fmt.Sprintf("共 %d 件等候中，第 1／2 頁", all), q.items[0], q.items[49], `href="`+q.path+`?page=2" rel="next"`)
		wantNotContains(t, first, q.items[50], `rel="prev"`)
		if q.path == "/console/approvals" {
			// Each row: the unit by code and name, the account's kind, who
			// asked, and the decision forms with the session's token.
			var u models.Unit
			if err := e.db.NewSelect().Model(&u).Where("id = ?", e.unitID(0)).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			wantContains(t, first, u.Code+" "+u.Name, "<td>"+hq.Name+"</td>", "<td>單位憑證</td>", `name="decision" value="approve"`)
			if strings.Contains(first.body, `name="_csrf" value=""`) {
				t.Error("/console/approvals: a decision form without the CSRF token")
			}
		}
		second := c.get(q.path + "?page=2")
		wantContains(t, second, "第 2／2 頁", q.items[50], last, `href="`+q.path+`?page=1" rel="prev"`)
		wantNotContains(t, second, q.items[49], `rel="next"`)
		if r := c.get(q.path + "?page=99"); !strings.Contains(r.body, "第 2／2 頁") || !strings.Contains(r.body, last) {
			t.Errorf("%s?page=99 does not show the last page", q.path)
		}
		for _, bad := range []string{"0", "-1", "x", "99999999999999999999"} {
			if r := c.get(q.path + "?page=" + bad); r.StatusCode != http.StatusOK || !strings.Contains(r.body, "第 1／2 頁") {
				t.Errorf("%s?page=%s: %d, not the first page", q.path, bad, r.StatusCode)
			}
		}
		// A branch's supervisor counts only the branch's units.
		wantContains(t, e.staffClient("taipei.super").get(q.path), fmt.Sprintf("共 %d 件等候中", q.taipei))
	}
}
