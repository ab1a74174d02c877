package models

// Indexes found with EXPLAIN on a national-size database (`multicert demo
// --units 100000 --filings 2000000`). The unique indexes on a unit's
// active account and active handlers are partial (WHERE status =
// 'active'); SQLite cannot use a partial index for a query whose status is
// a bound parameter, nor for one without the status, so a unit's page
// scanned 180,000 handlers and 90,000 accounts.
var _ = register(Migration{
	Version: 14,
	Name:    "indexes for a unit's handlers and accounts",
	Up: []string{
		`CREATE INDEX handlers_unit ON handlers (unit_id, status)`,
		`CREATE INDEX unit_accounts_unit ON unit_accounts (unit_id, status)`,
	},
	Down: []string{
		`DROP INDEX handlers_unit`,
		`DROP INDEX unit_accounts_unit`,
	},
})
