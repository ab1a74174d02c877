package models_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/multicert/multicert/models"
)

// wantMode fails unless path has exactly the permission bits want.
func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %#o, want %#o", filepath.Base(path), got, want)
	}
}

func TestSQLiteFilesPrivate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("new", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		path := filepath.Join(dir, "multicert.db")
		db, err := models.Open(ctx, "sqlite:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer models.Close(db)
		if _, err := db.ExecContext(ctx, "CREATE TABLE t (x INTEGER)"); err != nil {
			t.Fatal(err)
		}
		wantMode(t, dir, 0o700)
		wantMode(t, path, 0o600)
		wantMode(t, path+"-wal", 0o600)
	})
	t.Run("existing world-readable", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "old.db")
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o644); err != nil { // whatever the umask
			t.Fatal(err)
		}
		db, err := models.Open(ctx, "sqlite:"+path)
		if err != nil {
			t.Fatal(err)
		}
		models.Close(db)
		wantMode(t, path, 0o600)
	})
}
