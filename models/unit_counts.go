package models

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// Unit counts per branch (all, closed, without an active account) are kept
// by triggers instead of counted: the console home counted 100,000 units
// with a subquery each on every view (130 ms; seconds under load). The
// triggers live in the database, so every writer — the demo's bulk
// inserts, a second server instance, an operator's SQL — keeps them true.
var _ = register(Migration{
	Version: 15,
	Name:    "unit counts per branch kept by triggers",
	Up: []string{
		`CREATE TABLE unit_counts (
			branch_code TEXT PRIMARY KEY REFERENCES branches(code),
			total BIGINT NOT NULL DEFAULT 0,
			closed BIGINT NOT NULL DEFAULT 0,
			unregistered BIGINT NOT NULL DEFAULT 0
		)`,
		`INSERT INTO unit_counts (branch_code, total, closed, unregistered)
		SELECT b.code,
			(SELECT COUNT(*) FROM units AS u WHERE u.branch_code = b.code),
			(SELECT COUNT(*) FROM units AS u WHERE u.branch_code = b.code AND u.status = 'closed'),
			(SELECT COUNT(*) FROM units AS u WHERE u.branch_code = b.code
				AND NOT EXISTS (SELECT 1 FROM unit_accounts AS a WHERE a.unit_id = u.id AND a.status = 'active'))
		FROM branches AS b`,
	},
	UpSQLite: []string{
		`CREATE TRIGGER unit_counts_unit_insert AFTER INSERT ON units BEGIN
			UPDATE unit_counts SET total = total + 1,
				closed = closed + (CASE WHEN NEW.status = 'closed' THEN 1 ELSE 0 END),
				unregistered = unregistered + (CASE WHEN EXISTS (SELECT 1 FROM unit_accounts AS a WHERE a.unit_id = NEW.id AND a.status = 'active') THEN 0 ELSE 1 END)
			WHERE branch_code = NEW.branch_code;
		END`,
		`CREATE TRIGGER unit_counts_unit_delete AFTER DELETE ON units BEGIN
			UPDATE unit_counts SET total = total - 1,
				closed = closed - (CASE WHEN OLD.status = 'closed' THEN 1 ELSE 0 END),
				unregistered = unregistered - (CASE WHEN EXISTS (SELECT 1 FROM unit_accounts AS a WHERE a.unit_id = OLD.id AND a.status = 'active') THEN 0 ELSE 1 END)
			WHERE branch_code = OLD.branch_code;
		END`,
		`CREATE TRIGGER unit_counts_unit_update AFTER UPDATE OF status, branch_code ON units
		WHEN OLD.status <> NEW.status OR OLD.branch_code <> NEW.branch_code BEGIN
			UPDATE unit_counts SET total = total - 1,
				closed = closed - (CASE WHEN OLD.status = 'closed' THEN 1 ELSE 0 END),
				unregistered = unregistered - (CASE WHEN EXISTS (SELECT 1 FROM unit_accounts AS a WHERE a.unit_id = OLD.id AND a.status = 'active') THEN 0 ELSE 1 END)
			WHERE branch_code = OLD.branch_code;
			UPDATE unit_counts SET total = total + 1,
				closed = closed + (CASE WHEN NEW.status = 'closed' THEN 1 ELSE 0 END),
				unregistered = unregistered + (CASE WHEN EXISTS (SELECT 1 FROM unit_accounts AS a WHERE a.unit_id = NEW.id AND a.status = 'active') THEN 0 ELSE 1 END)
			WHERE branch_code = NEW.branch_code;
		END`,
		`CREATE TRIGGER unit_counts_account_insert AFTER INSERT ON unit_accounts WHEN NEW.status = 'active' BEGIN
			UPDATE unit_counts SET unregistered = unregistered - 1
			WHERE branch_code = (SELECT branch_code FROM units WHERE id = NEW.unit_id);
		END`,
		`CREATE TRIGGER unit_counts_account_update AFTER UPDATE OF status ON unit_accounts
		WHEN (OLD.status = 'active') <> (NEW.status = 'active') BEGIN
			UPDATE unit_counts SET unregistered = unregistered + (CASE WHEN NEW.status = 'active' THEN -1 ELSE 1 END)
			WHERE branch_code = (SELECT branch_code FROM units WHERE id = NEW.unit_id);
		END`,
		`CREATE TRIGGER unit_counts_account_delete AFTER DELETE ON unit_accounts WHEN OLD.status = 'active' BEGIN
			UPDATE unit_counts SET unregistered = unregistered + 1
			WHERE branch_code = (SELECT branch_code FROM units WHERE id = OLD.unit_id);
		END`,
	},
	UpPostgres: []string{
		`CREATE FUNCTION unit_counts_units() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF TG_OP IN ('UPDATE', 'DELETE') THEN
				UPDATE unit_counts SET total = total - 1,
					closed = closed - (CASE WHEN OLD.status = 'closed' THEN 1 ELSE 0 END),
					unregistered = unregistered - (CASE WHEN EXISTS (SELECT 1 FROM unit_accounts AS a WHERE a.unit_id = OLD.id AND a.status = 'active') THEN 0 ELSE 1 END)
				WHERE branch_code = OLD.branch_code;
			END IF;
			IF TG_OP IN ('UPDATE', 'INSERT') THEN
				UPDATE unit_counts SET total = total + 1,
					closed = closed + (CASE WHEN NEW.status = 'closed' THEN 1 ELSE 0 END),
					unregistered = unregistered + (CASE WHEN EXISTS (SELECT 1 FROM unit_accounts AS a WHERE a.unit_id = NEW.id AND a.status = 'active') THEN 0 ELSE 1 END)
				WHERE branch_code = NEW.branch_code;
			END IF;
			RETURN NULL;
		END $$`,
		`CREATE TRIGGER unit_counts_unit_insert AFTER INSERT OR DELETE ON units FOR EACH ROW EXECUTE FUNCTION unit_counts_units()`,
		`CREATE TRIGGER unit_counts_unit_update AFTER UPDATE OF status, branch_code ON units FOR EACH ROW
			WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.branch_code IS DISTINCT FROM NEW.branch_code)
			EXECUTE FUNCTION unit_counts_units()`,
		`CREATE FUNCTION unit_counts_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
		DECLARE d BIGINT := 0; uid BIGINT;
		BEGIN
			IF TG_OP = 'INSERT' THEN
				uid := NEW.unit_id;
				IF NEW.status = 'active' THEN d := -1; END IF;
			ELSIF TG_OP = 'DELETE' THEN
				uid := OLD.unit_id;
				IF OLD.status = 'active' THEN d := 1; END IF;
			ELSE
				uid := NEW.unit_id;
				IF OLD.status = 'active' AND NEW.status <> 'active' THEN d := 1;
				ELSIF OLD.status <> 'active' AND NEW.status = 'active' THEN d := -1; END IF;
			END IF;
			IF d <> 0 THEN
				UPDATE unit_counts SET unregistered = unregistered + d WHERE branch_code = (SELECT branch_code FROM units WHERE id = uid);
			END IF;
			RETURN NULL;
		END $$`,
		`CREATE TRIGGER unit_counts_account AFTER INSERT OR UPDATE OF status OR DELETE ON unit_accounts FOR EACH ROW EXECUTE FUNCTION unit_counts_accounts()`,
	},
	DownSQLite: []string{
		`DROP TRIGGER unit_counts_unit_insert`, `DROP TRIGGER unit_counts_unit_delete`, `DROP TRIGGER unit_counts_unit_update`,
		`DROP TRIGGER unit_counts_account_insert`, `DROP TRIGGER unit_counts_account_update`, `DROP TRIGGER unit_counts_account_delete`,
	},
	DownPostgres: []string{
		`DROP TRIGGER unit_counts_unit_insert ON units`, `DROP TRIGGER unit_counts_unit_update ON units`,
		`DROP TRIGGER unit_counts_account ON unit_accounts`,
		`DROP FUNCTION unit_counts_units()`, `DROP FUNCTION unit_counts_accounts()`,
	},
	Down: []string{`DROP TABLE unit_counts`},
})

// CountUnits returns the unit counts within the scope from the counters.
func CountUnits(ctx context.Context, db bun.IDB, sc Scope) (UnitCounts, error) {
	var row struct {
		Total        *int64 `bun:"total"`
		Closed       *int64 `bun:"closed"`
		Unregistered *int64 `bun:"unregistered"`
	}
	q := db.NewSelect().TableExpr("unit_counts AS c").
		ColumnExpr("SUM(c.total) AS total, SUM(c.closed) AS closed, SUM(c.unregistered) AS unregistered")
	switch {
	case sc.All:
	case sc.Branch != "" && sc.UnitID == 0:
		q = q.Where("c.branch_code = ?", sc.Branch)
	default:
		return UnitCounts{}, nil
	}
	if err := q.Scan(ctx, &row); err != nil {
		return UnitCounts{}, fmt.Errorf("models: count units: %w", err)
	}
	deref := func(p *int64) int {
		if p == nil {
			return 0
		}
		return int(*p)
	}
	return UnitCounts{Total: deref(row.Total), Closed: deref(row.Closed), Unregistered: deref(row.Unregistered)}, nil
}
