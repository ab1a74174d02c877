package models_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// The fixed clock is 2026-03-02 (115/03/02) in Taipei.

// publish publishes a valid announcement as username, changed by edit.
func (f *caseFixture) publish(username string, edit func(in *models.AnnouncementInput)) *models.Announcement {
	f.t.Helper()
	a, sc := f.staff(username)
	in := models.AnnouncementInput{Title: "系統維護", Body: "3 月 7 日晚上暫停服務。", Starts: "115/03/01", Ends: "115/03/31"}
	if edit != nil {
		edit(&in)
	}
	an, err := f.s.PublishAnnouncement(context.Background(), a, sc, in)
	if err != nil {
		f.t.Fatalf("publish as %s: %v", username, err)
	}
	return an
}

func (f *caseFixture) announcementEvents(action string, id int64) int {
	f.t.Helper()
	n, err := f.db.NewSelect().Table("audit_events").
		Where("action = ? AND object_type = 'announcement' AND object_id = ?", action, fmtInt(id)).Count(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return int(n)
}

func ids(as []models.Announcement) map[int64]bool {
	m := map[int64]bool{}
	for _, a := range as {
		m[a.ID] = true
	}
	return m
}

func TestPublishAnnouncement(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		f := newCaseFixture(t, db)
		ctx := context.Background()

		t.Run("branch staff publish in their branch's name", func(t *testing.T) {
			an := f.publish("taipei.staff", func(in *models.AnnouncementInput) { in.Audience = "1"; in.Important = true })
			got, err := models.AnnouncementByID(ctx, db, models.ScopeAll, an.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.BranchCode == nil || *got.BranchCode != "1" || got.AudienceBranch == nil || *got.AudienceBranch != "1" ||
				!got.Important || got.StartsOn != "2026-03-01" || got.EndsOn != "2026-03-31" || got.Version != 1 {
				t.Errorf("announcement %+v", got)
			}
			if n := f.announcementEvents("announcement.create", an.ID); n != 1 {
				t.Errorf("%d announcement.create events, want 1", n)
			}
		})

		t.Run("head office publishes for everyone or any branch", func(t *testing.T) {
			an := f.publish("hq.staff", func(in *models.AnnouncementInput) { in.Audience = "5" })
			if an.BranchCode != nil || an.AudienceBranch == nil || *an.AudienceBranch != "5" {
				t.Errorf("announcement %+v", an)
			}
		})

		bad := []struct {
			name, field string
			edit        func(in *models.AnnouncementInput)
		}{
			{"ErrTitleRequired", "title", func(in *models.AnnouncementInput) { in.Title = "  " }},
			{"ErrTitleTooLong", "title", func(in *models.AnnouncementInput) { in.Title = strings.Repeat("公", 101) }},
			{"ErrTitleNUL", "title", func(in *models.AnnouncementInput) { in.Title = "維護\x00" }},
			{"ErrBodyRequired", "body", func(in *models.AnnouncementInput) { in.Body = "\n" }},
			{"ErrBodyTooLong", "body", func(in *models.AnnouncementInput) { in.Body = strings.Repeat("文", 5001) }},
			{"ErrBodyNUL", "body", func(in *models.AnnouncementInput) { in.Body = "a\x00b" }},
			{"ErrStartsRequired", "starts", func(in *models.AnnouncementInput) { in.Starts = "" }},
			{"ErrStartsGregorian", "starts", func(in *models.AnnouncementInput) { in.Starts = "2026/03/01" }},
			{"ErrEndsBeforeStarts", "ends", func(in *models.AnnouncementInput) { in.Ends = "115/02/28" }},
			{"ErrAudienceOtherBranch", "audience", func(in *models.AnnouncementInput) { in.Audience = "2" }},
			{"ErrAudienceUnknown", "audience", func(in *models.AnnouncementInput) { in.Audience = "9" }},
		}
		a, sc := f.staff("taipei.staff")
		for _, tc := range bad {
			t.Run(tc.name, func(t *testing.T) {
				in := models.AnnouncementInput{Title: "標題", Body: "內容", Starts: "115/03/01", Ends: "115/03/31"}
				tc.edit(&in)
				_, err := f.s.PublishAnnouncement(ctx, a, sc, in)
				wantField(t, tc.name, err, tc.field)
			})
		}

		t.Run("ErrAuditorMayNotPublish", func(t *testing.T) {
			a, sc := f.staff("taipei.audit")
			_, err := f.s.PublishAnnouncement(ctx, a, sc, models.AnnouncementInput{Title: "t", Body: "b", Starts: "115/03/01", Ends: "115/03/01"})
			wantCode(t, "auditor", err, apperr.Forbidden)
		})
	})
}

func TestEditAnnouncementScope(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		f := newCaseFixture(t, db)
		ctx := context.Background()
		an := f.publish("taipei.staff", nil)
		edit := models.AnnouncementInput{Title: "系統維護（延後）", Body: "改為 3 月 14 日。", Starts: "115/03/01", Ends: "115/03/31", Version: 1}

		t.Run("ErrOtherBranchNotFound", func(t *testing.T) {
			a, sc := f.staff("north.super")
			_, err := f.s.UpdateAnnouncement(ctx, a, sc, an.ID, edit)
			wantCode(t, "update by another branch", err, apperr.NotFound)
			wantCode(t, "withdraw by another branch", f.s.WithdrawAnnouncement(ctx, a, sc, an.ID), apperr.NotFound)
		})

		t.Run("the branch's supervisor edits what the branch published", func(t *testing.T) {
			a, sc := f.staff("taipei.super")
			got, err := f.s.UpdateAnnouncement(ctx, a, sc, an.ID, edit)
			if err != nil {
				t.Fatal(err)
			}
			if got.Title != edit.Title || got.Version != 2 || got.UpdatedBy != a.ID {
				t.Errorf("announcement %+v", got)
			}
			if n := f.announcementEvents("announcement.update", an.ID); n != 1 {
				t.Errorf("%d announcement.update events, want 1", n)
			}
		})

		t.Run("ErrStaleVersionConflict", func(t *testing.T) {
			a, sc := f.staff("taipei.staff")
			_, err := f.s.UpdateAnnouncement(ctx, a, sc, an.ID, edit) // version 1, now 2
			wantCode(t, "stale edit", err, apperr.Conflict)
		})

		t.Run("head office edits every branch's", func(t *testing.T) {
			a, sc := f.staff("hq.super")
			e := edit
			e.Version = 2
			if _, err := f.s.UpdateAnnouncement(ctx, a, sc, an.ID, e); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("withdraw, once", func(t *testing.T) {
			a, sc := f.staff("taipei.staff")
			if err := f.s.WithdrawAnnouncement(ctx, a, sc, an.ID); err != nil {
				t.Fatal(err)
			}
			wantCode(t, "withdraw again", f.s.WithdrawAnnouncement(ctx, a, sc, an.ID), apperr.Conflict)
			e := edit
			e.Version = 4
			_, err := f.s.UpdateAnnouncement(ctx, a, sc, an.ID, e)
			wantCode(t, "edit a withdrawn one", err, apperr.Conflict)
			if n := f.announcementEvents("announcement.withdraw", an.ID); n != 1 {
				t.Errorf("%d announcement.withdraw events, want 1", n)
			}
			cur, err := models.CurrentAnnouncements(ctx, db, f.clock.Now(), "")
			if err != nil {
				t.Fatal(err)
			}
			if ids(cur)[an.ID] {
				t.Error("a withdrawn announcement is still current")
			}
		})
	})
}

func TestCurrentAnnouncementsAndBanner(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		f := newCaseFixture(t, db)
		ctx := context.Background()
		// Start today, so that they are newer than any demo announcement.
		plain := f.publish("hq.staff", func(in *models.AnnouncementInput) { in.Starts = "115/03/02" })
		older := f.publish("hq.staff", func(in *models.AnnouncementInput) { in.Important = true; in.Starts = "115/03/02" })
		north := f.publish("north.staff", func(in *models.AnnouncementInput) {
			in.Important, in.Audience, in.Starts = true, "2", "115/03/02"
		})
		future := f.publish("hq.staff", func(in *models.AnnouncementInput) { in.Important = true; in.Starts = "115/03/03" })
		ended := f.publish("hq.staff", func(in *models.AnnouncementInput) { in.Starts, in.Ends = "115/02/01", "115/03/01" })
		lastDay := f.publish("taipei.staff", func(in *models.AnnouncementInput) { in.Starts, in.Ends = "115/02/01", "115/03/02" })

		for _, tc := range []struct {
			branch   string
			want     []*models.Announcement
			notWant  []*models.Announcement
			bannerID int64
		}{
			{"", []*models.Announcement{plain, older, north, lastDay}, []*models.Announcement{future, ended}, north.ID},
			{"1", []*models.Announcement{plain, older, lastDay}, []*models.Announcement{north, future, ended}, older.ID},
			{"2", []*models.Announcement{plain, older, north, lastDay}, []*models.Announcement{future, ended}, north.ID},
		} {
			cur, err := models.CurrentAnnouncements(ctx, db, f.clock.Now(), tc.branch)
			if err != nil {
				t.Fatal(err)
			}
			got := ids(cur)
			for _, a := range tc.want {
				if !got[a.ID] {
					t.Errorf("branch %q: %q (%s–%s) not current", tc.branch, a.Title, a.StartsOn, a.EndsOn)
				}
			}
			for _, a := range tc.notWant {
				if got[a.ID] {
					t.Errorf("branch %q: announcement %d (%s–%s, audience %v) current", tc.branch, a.ID, a.StartsOn, a.EndsOn, a.AudienceBranch)
				}
			}
			b, err := models.Banner(ctx, db, f.clock.Now(), tc.branch)
			if err != nil {
				t.Fatal(err)
			}
			if b == nil || b.ID != tc.bannerID {
				t.Errorf("branch %q: banner %+v, want announcement %d", tc.branch, b, tc.bannerID)
			}
		}

		// On the next day the future one is the newest important one.
		f.clock.Advance(24 * time.Hour)
		if b, err := models.Banner(ctx, db, f.clock.Now(), "1"); err != nil || b == nil || b.ID != future.ID {
			t.Errorf("next day's banner %+v (%v), want %d", b, err, future.ID)
		}
	})
}

func TestAnnouncementsNewSinceLastVisit(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		f := newCaseFixture(t, db)
		ctx := context.Background()
		first := f.publish("taipei.staff", nil)
		unit := f.taipei.ID

		count := func(clerk int64) int {
			t.Helper()
			n, err := models.NewAnnouncements(ctx, db, f.clock.Now(), unit, clerk, "1")
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		visit := func(clerk int64) map[int64]bool {
			t.Helper()
			as, err := f.s.AnnouncementsForUnit(ctx, unit, clerk, "1")
			if err != nil {
				t.Fatal(err)
			}
			m := map[int64]bool{}
			for _, a := range as {
				m[a.ID] = a.New
			}
			return m
		}

		if n := count(0); n < 1 {
			t.Fatalf("new before the first visit: %d, want at least 1", n)
		}
		if got := visit(0); !got[first.ID] {
			t.Errorf("first visit: %d not new", first.ID)
		}
		if n := count(0); n != 0 {
			t.Errorf("new right after a visit: %d, want 0", n)
		}
		if got := visit(0); got[first.ID] {
			t.Errorf("second visit: %d still new", first.ID)
		}

		f.clock.Advance(time.Minute)
		second := f.publish("hq.staff", nil)
		if n := count(0); n != 1 {
			t.Errorf("new after one more was published: %d, want 1", n)
		}
		// An edit makes it new again.
		f.clock.Advance(time.Minute)
		a, sc := f.staff("taipei.staff")
		if _, err := f.s.UpdateAnnouncement(ctx, a, sc, first.ID, models.AnnouncementInput{Title: "改", Body: "改", Starts: "115/03/01", Ends: "115/03/31", Version: 1}); err != nil {
			t.Fatal(err)
		}
		got := visit(0)
		if !got[second.ID] || !got[first.ID] {
			t.Errorf("visit after a publication and an edit: %v, want %d and %d new", got, first.ID, second.ID)
		}
		// Each reader of the unit has their own last visit.
		if n := count(42); n < 2 {
			t.Errorf("new for a clerk who never looked: %d, want at least 2", n)
		}
	})
}
