package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/config"
	"github.com/multicert/multicert/models"
)

// backupCommand runs `multicert backup PATH`: an online, consistent copy of
// the SQLite database, then checks the copy (integrity and the audit
// chain), so that a backup nobody can restore is found now, not later.
func backupCommand(ctx context.Context, cfg *config.Config, path string, log *slog.Logger, out io.Writer) error {
	if path == "" {
		return errors.New("backup: name the file: multicert backup PATH")
	}
	keys, err := loadAuditKeys(cfg, false, log)
	if err != nil {
		return err
	}
	err = withDB(ctx, cfg, false, func(db *bun.DB) error {
		return models.BackupSQLite(ctx, db, path)
	})
	if err != nil {
		return err
	}
	copyDB, err := models.Open(ctx, "sqlite:"+path)
	if err != nil {
		return fmt.Errorf("backup: open the copy: %w", err)
	}
	defer models.Close(copyDB)
	var check string
	if err := copyDB.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		return fmt.Errorf("backup: the copy %s fails its integrity check: %v %s", path, err, check)
	}
	n, err := models.VerifyAudit(ctx, copyDB, keys, nil)
	if err != nil {
		return fmt.Errorf("backup: the copy's audit chain: %w", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "backup written to %s (%d bytes); integrity ok; audit chain of %d events verified\n", path, st.Size(), n)
	return nil
}
