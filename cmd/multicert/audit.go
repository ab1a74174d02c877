package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/config"
	"github.com/multicert/multicert/internal/jobs"
	"github.com/multicert/multicert/models"
)

// loadAuditKeys reads the audit chain's keys: the key file, then
// MULTICERT_AUDIT_KEY. When neither is configured and the default file
// <data-dir>/audit.key is missing, create makes it with a random key (mode
// 0600) and says so in the log; the key itself is never logged.
func loadAuditKeys(cfg *config.Config, create bool, log *slog.Logger) (*models.AuditKeys, error) {
	path := cfg.AuditKeyPath()
	var texts []string
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		texts = append(texts, string(b))
		if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
			log.Warn("the audit key file can be read by other users: chmod 600 it", "path", path, "mode", st.Mode().Perm().String())
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("audit key file: %w", err)
	case cfg.AuditKeyFile != "":
		return nil, fmt.Errorf("audit key file %s: %w", path, err)
	case cfg.AuditKey != "":
		// The environment alone gives the keys.
	case !create:
		return nil, fmt.Errorf("no audit key: %s does not exist and MULTICERT_AUDIT_KEY is empty", path)
	default:
		text, err := createAuditKeyFile(path)
		if err != nil {
			return nil, err
		}
		texts = append(texts, text)
		log.Warn("created a new random audit key; production must give its own key (--audit-key-file or MULTICERT_AUDIT_KEY) "+
			"and keep a copy away from the database", "path", path)
	}
	if cfg.AuditKey != "" {
		texts = append(texts, cfg.AuditKey)
	}
	keys, err := models.ParseAuditKeys(texts...)
	if err != nil {
		return nil, fmt.Errorf("audit keys (%s, MULTICERT_AUDIT_KEY): %w", path, err)
	}
	return keys, nil
}

const auditKeyFileHeader = `# multicert audit keys: HMAC-SHA256 keys of the audit chain, one ID:BASE64 per line.
# The last line signs new events; keep the older lines, they verify older events.
# To rotate, append a new line (e.g. from another server start with an empty file).
`

// createAuditKeyFile writes a new key file, refusing to replace one.
func createAuditKeyFile(path string) (string, error) {
	entry, err := models.NewAuditKeyEntry(time.Now())
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("audit key file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("audit key file: %w", err)
	}
	text := auditKeyFileHeader + entry + "\n"
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return "", fmt.Errorf("audit key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", fmt.Errorf("audit key file: %w", err)
	}
	return text, f.Close()
}

// auditCommand runs `audit verify [--checkpoint FILE]` and `audit checkpoint`.
func auditCommand(ctx context.Context, cfg *config.Config, sub, checkpoint string, log *slog.Logger, out io.Writer) error {
	if sub != "verify" && sub != "checkpoint" {
		return fmt.Errorf("audit: want `audit verify [--checkpoint FILE]` or `audit checkpoint`")
	}
	keys, err := loadAuditKeys(cfg, false, log)
	if err != nil {
		return err
	}
	return withDB(ctx, cfg, false, func(db *bun.DB) error {
		if sub == "checkpoint" {
			store := models.NewStore(db)
			store.AuditKeys = keys
			c := &models.AuditCheckpointer{Store: store, Path: cfg.AuditCheckpointPath()}
			cp, err := c.Checkpoint(ctx, false)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "checkpoint written to %s:\n%s\n", c.Path, cp.JSON())
			return nil
		}
		path := checkpoint
		if path == "" {
			path = cfg.AuditCheckpointPath()
		}
		cp, err := models.ReadAuditCheckpoint(path)
		switch {
		case err == nil:
		case checkpoint == "" && errors.Is(err, fs.ErrNotExist):
			fmt.Fprintf(out, "no checkpoint at %s: removal of the newest events cannot be detected\n", path)
		default:
			return err
		}
		n, err := models.VerifyAudit(ctx, db, keys, cp)
		if err != nil {
			return err
		}
		if cp != nil {
			fmt.Fprintf(out, "OK: %d audit events, chain intact, keys %v; it reaches the checkpoint of %s (seq %d)\n",
				n, keys.IDs(), cp.At.Format(time.RFC3339), cp.Seq)
		} else {
			fmt.Fprintf(out, "OK: %d audit events, chain intact, keys %v\n", n, keys.IDs())
		}
		return nil
	})
}

// dbCommand runs `db grant [--role NAME]`: as the owner (--migrate-db),
// it grants the server's role (by default the user of --db) its rights.
func dbCommand(ctx context.Context, cfg *config.Config, sub, role string, out io.Writer) error {
	if sub != "grant" {
		return fmt.Errorf("db: want `db grant [--role NAME]`")
	}
	if role == "" {
		role = appRole(cfg)
	}
	if role == "" {
		return fmt.Errorf("db grant: name the role with --role, or give --db with its user")
	}
	db, err := openDB(ctx, cfg.MigrationURL())
	if err != nil {
		return err
	}
	defer models.Close(db)
	if err := models.GrantAppRole(ctx, db, role); err != nil {
		return err
	}
	fmt.Fprintf(out, "granted role %s the server's rights (audit_events: SELECT and INSERT only)\n", role)
	return nil
}

// appRole is the user name of the --db URL when --migrate-db is another
// role's, or "".
func appRole(cfg *config.Config) string {
	if cfg.MigrateDB == "" || cfg.MigrateDB == cfg.DB {
		return ""
	}
	u, err := url.Parse(cfg.DB)
	if err != nil || u.User == nil {
		return ""
	}
	return u.User.Username()
}

// migrateAll applies the pending migrations as the schema's owner
// (--migrate-db, else --db). When the server runs as another role, it also
// creates River's tables and grants that role its rights, before the
// server connects with it: a role of its own may not even connect before.
func migrateAll(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	owner, err := openDB(ctx, cfg.MigrationURL())
	if err != nil {
		return err
	}
	defer models.Close(owner)
	n, err := models.MigrateUp(ctx, owner)
	if err != nil {
		return err
	}
	if n > 0 {
		log.Info("migrated the database", "applied", n)
	}
	role := appRole(cfg)
	if role == "" {
		return nil
	}
	if err := jobs.Migrate(ctx, owner); err != nil {
		return err
	}
	if err := models.GrantAppRole(ctx, owner, role); err != nil {
		return err
	}
	log.Info("the server runs as a database role of its own; the schema's owner migrated", "role", role)
	return nil
}
