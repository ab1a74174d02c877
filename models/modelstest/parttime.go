package modelstest

import (
	"context"
	"testing"

	"github.com/uptrace/bun"
)

// PartTimeAmounts are part-time amounts tests give the 2026 grade table,
// as an admin may: the shipped table lists none (全民健康保險法第 19 條).
// They are the labour insurance table's low amounts, the list an earlier
// release shipped by mistake.
const PartTimeAmounts = "11100,12540,13500,15840,16500,17280,17880,19047,20008,21009,22000,23100,24000,25250,26400,27600,28590"

// LoadPartTime gives the loaded 2026 grade table the part-time amounts
// PartTimeAmounts.
func LoadPartTime(t testing.TB, db bun.IDB) {
	t.Helper()
	res, err := db.NewUpdate().Table("grade_tables").Set("part_time = ?", PartTimeAmounts).Where("effective_date = '2026-01-01'").Exec(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("LoadPartTime: %d tables of 2026-01-01", n)
	}
}
