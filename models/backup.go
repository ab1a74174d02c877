package models

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/uptrace/bun"
)

// BackupSQLite writes a consistent copy of an SQLite database to path while
// the server runs (VACUUM INTO reads one snapshot; writers are not held up
// for long). The copy is created 0600 and must not exist yet. PostgreSQL is
// backed up with pg_dump (README).
func BackupSQLite(ctx context.Context, db *bun.DB, path string) error {
	if DialectOf(db) != SQLite {
		return errors.New("models: backup: PostgreSQL is backed up with pg_dump (see the README)")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("models: backup: %s exists; choose a new file", path)
	}
	// Create the file first with private permissions; VACUUM INTO writes
	// into an empty file.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("models: backup: %w", err)
	}
	f.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		os.Remove(path)
		return fmt.Errorf("models: backup to %s: %w", path, err)
	}
	return nil
}
