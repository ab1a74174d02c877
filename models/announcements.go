package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/input"
	"github.com/multicert/multicert/internal/rocdate"
)

// The 公告欄: announcements that a branch or head office publishes for
// every unit or for one branch's units, shown from a start date to an end
// date (Taipei calendar days, both included). The newest important one is
// the banner of the login page (「詳見公告欄!!!」, as on the seed's screen).

// Announcement is one entry of the 公告欄. BranchCode is the publisher's
// branch (nil: head office), which decides who may edit it; AudienceBranch
// is the branch whose units it is for (nil: every unit).
type Announcement struct {
	bun.BaseModel  `bun:"table:announcements,alias:an"`
	ID             int64      `bun:"id,pk,autoincrement"`
	BranchCode     *string    `bun:"branch_code"`
	AudienceBranch *string    `bun:"audience_branch"`
	Title          string     `bun:"title"`
	Body           string     `bun:"body"`
	Important      bool       `bun:"important"`
	StartsOn       string     `bun:"starts_on"` // 2006-01-02, Taipei
	EndsOn         string     `bun:"ends_on"`
	CreatedBy      int64      `bun:"created_by"`
	CreatedAt      time.Time  `bun:"created_at"`
	UpdatedBy      int64      `bun:"updated_by"`
	UpdatedAt      time.Time  `bun:"updated_at"`
	WithdrawnAt    *time.Time `bun:"withdrawn_at"`
	WithdrawnBy    *int64     `bun:"withdrawn_by"`
	Version        int64      `bun:"version"`

	// New is set by AnnouncementsForUnit: published or changed since the
	// reader last opened the 公告欄.
	New bool `bun:"-"`
}

// Starts and Ends are the announcement's dates as dates.
func (a *Announcement) Starts() time.Time { t, _ := time.Parse(time.DateOnly, a.StartsOn); return t }

// Ends is the last day the announcement shows.
func (a *Announcement) Ends() time.Time { t, _ := time.Parse(time.DateOnly, a.EndsOn); return t }

// Status is "withdrawn", "scheduled", "current" or "ended" on day today
// (2006-01-02).
func (a *Announcement) Status(today string) string {
	switch {
	case a.WithdrawnAt != nil:
		return "withdrawn"
	case today < a.StartsOn:
		return "scheduled"
	case today > a.EndsOn:
		return "ended"
	}
	return "current"
}

// AnnouncementInput is an announcement as staff write it: the dates as
// typed, in the ROC calendar (115/03/02, 115 年 3 月 2 日).
type AnnouncementInput struct {
	Title     string
	Body      string
	Important bool
	Starts    string
	Ends      string
	Audience  string // "" every unit, or a branch code
	Version   int64  // the version edited (UpdateAnnouncement)

	starts, ends time.Time
}

// validate checks the input and says what is wrong per field; the
// publisher's scope bounds the audience: a branch writes for every unit or
// for its own units, head office for every unit or any one branch.
func (in *AnnouncementInput) validate(sc Scope) error {
	in.Title = strings.TrimSpace(in.Title)
	in.Body = strings.TrimRight(in.Body, " \t\r\n")
	in.Starts, in.Ends = strings.TrimSpace(in.Starts), strings.TrimSpace(in.Ends)
	f := fieldErrors{}
	switch {
	case in.Title == "":
		f["title"] = "請輸入公告標題。"
	case input.Name("公告標題", in.Title, input.MaxAnnouncementTitle) != "":
		f["title"] = input.Name("公告標題", in.Title, input.MaxAnnouncementTitle)
	}
	switch {
	case strings.TrimSpace(in.Body) == "":
		f["body"] = "請輸入公告內容。"
	case input.Text("公告內容", in.Body, input.MaxAnnouncementBody) != "":
		f["body"] = input.Text("公告內容", in.Body, input.MaxAnnouncementBody)
	}
	date := func(field, label, v string) time.Time {
		if v == "" {
			f[field] = "請輸入" + label + "，例如 115/03/02。"
			return time.Time{}
		}
		d, err := rocdate.Parse(v)
		if err != nil {
			f[field] = label + "：" + err.Error()
		}
		return d
	}
	in.starts = date("starts", "公告起日", in.Starts)
	in.ends = date("ends", "公告迄日", in.Ends)
	if f["starts"] == "" && f["ends"] == "" && in.ends.Before(in.starts) {
		f["ends"] = "公告迄日不可早於起日。"
	}
	switch {
	case in.Audience == "":
	case BranchNames[in.Audience] == "":
		f["audience"] = "請選擇公告對象。"
	case !sc.All && in.Audience != sc.Branch:
		f["audience"] = "業務組只能公告給全體投保單位或本業務組的投保單位。"
	}
	return f.err("公告資料有誤，請依欄位旁的說明修正。")
}

// mayPublish refuses actors who are not staff or supervisors: auditors and
// admins look, never publish.
func mayPublish(a Actor, sc Scope) error {
	if a.Kind != "staff" || a.ID == 0 || !mayHandleCases(a.Role) || (!sc.All && sc.Branch == "") {
		return apperr.New(apperr.Forbidden, "只有業務組或署本部的承辦人員與主管可以發布公告。")
	}
	return nil
}

// announcementState is what the audit log records of an announcement.
func announcementState(an *Announcement) map[string]any {
	return map[string]any{"title": an.Title, "body": an.Body, "important": an.Important,
		"starts_on": an.StartsOn, "ends_on": an.EndsOn, "audience_branch": an.AudienceBranch}
}

func optBranch(code string) *string {
	if code == "" {
		return nil
	}
	return &code
}

// PublishAnnouncement publishes an announcement in the name of the
// publisher's branch (head office when the scope is all).
func (s *Store) PublishAnnouncement(ctx context.Context, a Actor, sc Scope, in AnnouncementInput) (*Announcement, error) {
	if err := mayPublish(a, sc); err != nil {
		return nil, err
	}
	if err := in.validate(sc); err != nil {
		return nil, err
	}
	var an *Announcement
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		an = &Announcement{AudienceBranch: optBranch(in.Audience), Title: in.Title, Body: in.Body,
			Important: in.Important, StartsOn: dateString(in.starts), EndsOn: dateString(in.ends),
			CreatedBy: a.ID, CreatedAt: now, UpdatedBy: a.ID, UpdatedAt: now, Version: 1}
		if !sc.All {
			an.BranchCode = optBranch(sc.Branch)
		}
		// The same announcement published twice (a double submit): the first.
		var prev int64
		err := tx.NewSelect().Table("announcements").Column("id").
			Where("created_by = ? AND title = ? AND body = ? AND important = ? AND starts_on = ? AND ends_on = ? AND withdrawn_at IS NULL AND created_at >= ?",
				a.ID, an.Title, an.Body, an.Important, an.StartsOn, an.EndsOn, now.Add(-RepeatWindow)).
			Order("id DESC").Limit(1).Scan(ctx, &prev)
		if err == nil {
			return &Repeated{What: "announcement", ID: prev}
		}
		if !isNoRows(err) {
			return fmt.Errorf("models: publish announcement: %w", err)
		}
		if _, err := tx.NewInsert().Model(an).Exec(ctx); err != nil {
			return fmt.Errorf("models: publish announcement: %w", err)
		}
		return audit(ctx, tx, now, a, Change{Action: "announcement.create", Branch: derefStr(an.BranchCode),
			ObjectType: "announcement", ObjectID: fmt.Sprint(an.ID), After: announcementState(an)})
	})
	if err != nil {
		return nil, err
	}
	return an, nil
}

// UpdateAnnouncement changes an announcement of the scope that is not
// withdrawn. in.Version is the version the editor saw: a colleague's change
// in between is a Conflict.
func (s *Store) UpdateAnnouncement(ctx context.Context, a Actor, sc Scope, id int64, in AnnouncementInput) (*Announcement, error) {
	if err := mayPublish(a, sc); err != nil {
		return nil, err
	}
	var an *Announcement
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if an, err = AnnouncementByID(ctx, tx, sc, id); err != nil {
			return err
		}
		if an.WithdrawnAt != nil {
			return apperr.New(apperr.Conflict, "此公告已撤回，不能再修改；請發布新公告。")
		}
		// A head-office editor may keep a branch's own audience; the
		// publisher's branch bounds it, not the editor's.
		pub := Scope{All: an.BranchCode == nil}
		if an.BranchCode != nil {
			pub.Branch = *an.BranchCode
		}
		if err := in.validate(pub); err != nil {
			return err
		}
		if in.Version != an.Version {
			return apperr.New(apperr.Conflict, "此公告已由其他同仁修改，請重新開啟後再編輯。")
		}
		before := announcementState(an)
		now := s.now()
		an.AudienceBranch, an.Title, an.Body, an.Important = optBranch(in.Audience), in.Title, in.Body, in.Important
		an.StartsOn, an.EndsOn, an.UpdatedBy, an.UpdatedAt = dateString(in.starts), dateString(in.ends), a.ID, now
		an.Version++
		res, err := tx.NewUpdate().Model(an).
			Column("audience_branch", "title", "body", "important", "starts_on", "ends_on", "updated_by", "updated_at", "version").
			Where("id = ? AND version = ? AND withdrawn_at IS NULL", an.ID, in.Version).Exec(ctx)
		if err != nil {
			return fmt.Errorf("models: update announcement %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "此公告已由其他同仁修改或撤回，請重新開啟後再編輯。")
		}
		return audit(ctx, tx, now, a, Change{Action: "announcement.update", Branch: derefStr(an.BranchCode),
			ObjectType: "announcement", ObjectID: fmt.Sprint(an.ID), Before: before, After: announcementState(an)})
	})
	if err != nil {
		return nil, err
	}
	return an, nil
}

// WithdrawAnnouncement takes an announcement of the scope off the 公告欄 at
// once. The row stays, for the console's list and the audit log.
func (s *Store) WithdrawAnnouncement(ctx context.Context, a Actor, sc Scope, id int64) error {
	if err := mayPublish(a, sc); err != nil {
		return err
	}
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		an, err := AnnouncementByID(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		now := s.now()
		res, err := tx.NewUpdate().Model((*Announcement)(nil)).Set("withdrawn_at = ?", now).Set("withdrawn_by = ?", a.ID).
			Set("version = version + 1").Where("id = ? AND withdrawn_at IS NULL", an.ID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("models: withdraw announcement %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "此公告已撤回。")
		}
		return audit(ctx, tx, now, a, Change{Action: "announcement.withdraw", Branch: derefStr(an.BranchCode),
			ObjectType: "announcement", ObjectID: fmt.Sprint(an.ID), Before: announcementState(an)})
	})
}

// announcements restricts a query on announcements to those the scope
// publishes: its branch's, or all for head office. Units edit none.
func (sc Scope) announcements(q *bun.SelectQuery) *bun.SelectQuery {
	switch {
	case sc.UnitID != 0:
		return q.Where("1 = 0")
	case sc.All:
		return q
	case sc.Branch != "":
		return q.Where("an.branch_code = ?", sc.Branch)
	}
	return q.Where("1 = 0")
}

// AnnouncementByID is one announcement the scope publishes.
func AnnouncementByID(ctx context.Context, db bun.IDB, sc Scope, id int64) (*Announcement, error) {
	an := new(Announcement)
	err := sc.announcements(db.NewSelect().Model(an).Where("an.id = ?", id)).Scan(ctx)
	if isNoRows(err) {
		return nil, notFound("公告")
	}
	if err != nil {
		return nil, fmt.Errorf("models: announcement %d: %w", id, err)
	}
	return an, nil
}

// AnnouncementDomain is the publisher's branch of an announcement, "" for
// head office: what the console's policy compares with the staff member's.
func AnnouncementDomain(ctx context.Context, db bun.IDB, id int64) (string, error) {
	var code *string
	err := db.NewSelect().Model((*Announcement)(nil)).Column("branch_code").Where("id = ?", id).Scan(ctx, &code)
	if isNoRows(err) {
		return "", notFound("公告")
	}
	if err != nil {
		return "", fmt.Errorf("models: announcement %d: %w", id, err)
	}
	return derefStr(code), nil
}

// AnnouncementsOfScope lists the announcements the scope publishes, newest
// first, withdrawn and ended ones included (the console's list).
func AnnouncementsOfScope(ctx context.Context, db bun.IDB, sc Scope, limit int) ([]Announcement, error) {
	var out []Announcement
	err := sc.announcements(db.NewSelect().Model(&out)).Order("an.starts_on DESC", "an.id DESC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("models: announcements: %w", err)
	}
	return out, nil
}

// currentAnnouncements selects the announcements shown on day now (Taipei):
// not withdrawn, started and not ended; the latest to start first. branch "" keeps every audience (the public 公告欄);
// a branch code keeps those for every unit and for that branch.
func currentAnnouncements(db bun.IDB, now time.Time, branch string, out *[]Announcement) *bun.SelectQuery {
	day := dateString(today(now))
	q := db.NewSelect().Model(out).Where("an.withdrawn_at IS NULL").
		Where("an.starts_on <= ?", day).Where("an.ends_on >= ?", day)
	if branch != "" {
		q = q.Where("(an.audience_branch IS NULL OR an.audience_branch = ?)", branch)
	}
	return q.Order("an.starts_on DESC", "an.id DESC")
}

// CurrentAnnouncements lists what the 公告欄 shows on day now: for every
// audience when branch is "", else for the units of branch.
func CurrentAnnouncements(ctx context.Context, db bun.IDB, now time.Time, branch string) ([]Announcement, error) {
	var out []Announcement
	if err := currentAnnouncements(db, now, branch, &out).Limit(200).Scan(ctx); err != nil {
		return nil, fmt.Errorf("models: current announcements: %w", err)
	}
	return out, nil
}

// Banner is the newest current important announcement (for every audience
// when branch is "", else for the units of branch), or nil.
func Banner(ctx context.Context, db bun.IDB, now time.Time, branch string) (*Announcement, error) {
	var out []Announcement
	if err := currentAnnouncements(db, now, branch, &out).Where("an.important").Limit(1).Scan(ctx); err != nil {
		return nil, fmt.Errorf("models: announcement banner: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return &out[0], nil
}

// AnnouncementsForUnit lists the current announcements for a unit's
// reader (clerkID 0: the unit's own account), marking those published or
// changed since the reader last opened the 公告欄, and records this visit
// as the last. Reading is not an audited action: it changes nothing of the
// unit's.
func (s *Store) AnnouncementsForUnit(ctx context.Context, unitID, clerkID int64, branch string) ([]Announcement, error) {
	var out []Announcement
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		seen, err := announcementsSeenAt(ctx, tx, unitID, clerkID)
		if err != nil {
			return err
		}
		if err := currentAnnouncements(tx, now, branch, &out).Limit(200).Scan(ctx); err != nil {
			return fmt.Errorf("models: announcements of unit %d: %w", unitID, err)
		}
		for i := range out {
			out[i].New = seen == nil || out[i].UpdatedAt.After(*seen)
		}
		_, err = tx.NewRaw(`INSERT INTO announcement_reads (unit_id, clerk_id, seen_at) VALUES (?, ?, ?)
			ON CONFLICT (unit_id, clerk_id) DO UPDATE SET seen_at = EXCLUDED.seen_at`, unitID, clerkID, now).Exec(ctx)
		if err != nil {
			return fmt.Errorf("models: announcements seen by unit %d: %w", unitID, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// NewAnnouncements counts the current announcements for a unit's reader
// published or changed since the reader last opened the 公告欄.
func NewAnnouncements(ctx context.Context, db bun.IDB, now time.Time, unitID, clerkID int64, branch string) (int, error) {
	seen, err := announcementsSeenAt(ctx, db, unitID, clerkID)
	if err != nil {
		return 0, err
	}
	var out []Announcement
	q := currentAnnouncements(db, now, branch, &out)
	if seen != nil {
		q = q.Where("an.updated_at > ?", *seen)
	}
	n, err := q.Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("models: new announcements of unit %d: %w", unitID, err)
	}
	return int(n), nil
}

func announcementsSeenAt(ctx context.Context, db bun.IDB, unitID, clerkID int64) (*time.Time, error) {
	var seen []time.Time
	err := db.NewSelect().Table("announcement_reads").Column("seen_at").
		Where("unit_id = ? AND clerk_id = ?", unitID, clerkID).Scan(ctx, &seen)
	if err != nil {
		return nil, fmt.Errorf("models: announcements seen by unit %d: %w", unitID, err)
	}
	if len(seen) == 0 {
		return nil, nil
	}
	return &seen[0], nil
}

func derefStr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
