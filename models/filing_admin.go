package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/rules"
)

// EnsureReferenceData loads the code table and the shipped grade tables
// when the database has none yet; what admins changed stays, the codes
// they never changed are brought up to this release's text, and so are the
// part-time amounts and source of a shipped grade table whose grades are
// still the shipped ones (the 2026 table gained its part-time amounts).
func (s *Store) EnsureReferenceData(ctx context.Context) error {
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		for _, c := range rules.Codes() {
			// A row as shipped (never edited by an admin) takes the shipped
			// text of this release, e.g. the fixes that point to 補正.
			if _, err := tx.NewRaw(`INSERT INTO error_codes (code, message, fix, updated_at, updated_by) VALUES (?, ?, ?, ?, 'system')
				ON CONFLICT (code) DO UPDATE SET message = excluded.message, fix = excluded.fix
				WHERE error_codes.updated_by = 'system' AND (error_codes.message <> excluded.message OR error_codes.fix <> excluded.fix)`,
				string(c.Code), c.Message, c.Fix, now).Exec(ctx); err != nil {
				return fmt.Errorf("models: error codes: %w", err)
			}
		}
		n, err := tx.NewSelect().Table("grade_tables").Count(ctx)
		if err != nil {
			return err
		}
		for _, g := range rules.Builtin() {
			row := &GradeTableRow{EffectiveDate: dateString(g.Effective), Grades: joinInts(g.Grades), PartTime: joinInts(g.PartTime),
				Source: g.Source, LoadedBy: "system", LoadedAt: now}
			if n > 0 {
				if _, err := tx.NewUpdate().Model(row).Column("part_time", "source").
					Where("effective_date = ? AND loaded_by = 'system' AND grades = ?", row.EffectiveDate, row.Grades).
					Where("(part_time <> ? OR source <> ?)", row.PartTime, row.Source).Exec(ctx); err != nil {
					return fmt.Errorf("models: grade tables: %w", err)
				}
				continue
			}
			if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
				return fmt.Errorf("models: grade tables: %w", err)
			}
		}
		return nil
	})
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, ",")
}

// UpdateErrorCode changes the message and fix of a code (admin staff).
func (s *Store) UpdateErrorCode(ctx context.Context, a Actor, code, message, fix string) error {
	message, fix = strings.TrimSpace(message), strings.TrimSpace(fix)
	f := fieldErrors{}
	f.text("message", "訊息內容", message, 500)
	if fix != "" {
		f.text("fix", "處理方式", fix, 500)
	}
	if err := f.err("請填寫訊息內容。"); err != nil {
		return err
	}
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		var before struct {
			Message string `bun:"message"`
			Fix     string `bun:"fix"`
		}
		err := tx.NewSelect().Table("error_codes").Column("message", "fix").Where("code = ?", code).Scan(ctx, &before)
		if isNoRows(err) {
			return notFound("錯誤代碼")
		}
		if err != nil {
			return fmt.Errorf("models: error code %s: %w", code, err)
		}
		if _, err := tx.NewUpdate().Table("error_codes").Set("message = ?, fix = ?, updated_at = ?, updated_by = ?", message, fix, now, a.Name).
			Where("code = ?", code).Exec(ctx); err != nil {
			return fmt.Errorf("models: error code %s: %w", code, err)
		}
		return audit(ctx, tx, now, a, Change{Action: "error_code.update", ObjectType: "error_code", ObjectID: code,
			Before: before, After: map[string]string{"message": message, "fix": fix}})
	})
}

// GradeTableLoad is a grade table as an admin types it.
type GradeTableLoad struct {
	Effective time.Time
	Grades    string // the grades, one a line or comma-separated (rules.ParseTable)
	PartTime  string // the part-time (部分工時) amounts, the same way; "" for none
	Source    string // where the figures come from, e.g. the order that published them
}

// LoadGradeTable stores a new 投保金額分級表 in force from t.Effective
// (admin staff); validation uses the table in force on a filing's
// effective date. Field errors (grades, part_time, effective_date, source)
// are in Traditional Chinese.
func (s *Store) LoadGradeTable(ctx context.Context, a Actor, t GradeTableLoad) error {
	fe := fieldErrors{}
	grades, err := rules.ParseTable(t.Grades)
	if err != nil {
		fe["grades"] = err.Error()
	}
	var partTime []int
	if len(grades) > 0 {
		if partTime, err = rules.ParsePartTime(t.PartTime, grades[0]); err != nil {
			fe["part_time"] = "部分工時：" + err.Error()
		}
	}
	if t.Effective.IsZero() {
		fe["effective_date"] = "請輸入生效日期（民國年月日）。"
	}
	source := strings.TrimSpace(t.Source)
	fe.text("source", "來源說明", source, 500)
	if err := fe.err("分級表有誤，請依欄位旁的說明更正。"); err != nil {
		return err
	}
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		row := &GradeTableRow{EffectiveDate: dateString(t.Effective), Grades: joinInts(grades), PartTime: joinInts(partTime), Source: source, LoadedBy: a.Name, LoadedAt: now}
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			if isUniqueViolation(err) {
				return apperr.InvalidFields("這個生效日期已有分級表。", map[string]string{"effective_date": "這個生效日期已有分級表。"})
			}
			return fmt.Errorf("models: load grade table: %w", err)
		}
		after := map[string]any{"effective_date": row.EffectiveDate, "grades": len(grades), "min": grades[0], "max": grades[len(grades)-1], "source": source}
		if len(partTime) > 0 {
			after["part_time"], after["part_time_min"], after["part_time_max"] = len(partTime), partTime[0], partTime[len(partTime)-1]
		}
		return audit(ctx, tx, now, a, Change{Action: "grade_table.load", ObjectType: "grade_table", ObjectID: row.EffectiveDate, After: after})
	})
}

// GradeTables lists the loaded tables, newest first.
func GradeTables(ctx context.Context, db bun.IDB) ([]GradeTableRow, error) {
	var rows []GradeTableRow
	if err := db.NewSelect().Model(&rows).Order("effective_date DESC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("models: grade tables: %w", err)
	}
	return rows, nil
}
