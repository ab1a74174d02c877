package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupCommand copies a demo database while it is open and checks
// the copy: private, complete and with an intact audit chain.
func TestBackupCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := env("MULTICERT_DB", "sqlite:"+filepath.Join(dir, "live.db"), "MULTICERT_DATA_DIR", dir)
	var out bytes.Buffer
	if err := run(ctx, []string{"demo", "--units", "5"}, &out, e); err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(dir, "backup-1.db")
	out.Reset()
	if err := run(ctx, []string{"backup", copyPath}, &out, e); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "integrity ok") || !strings.Contains(out.String(), "verified") {
		t.Errorf("backup printed %q", out.String())
	}
	st, err := os.Stat(copyPath)
	if err != nil || st.Size() == 0 || st.Mode().Perm() != 0o600 {
		t.Fatalf("the copy: %v %v", st, err)
	}
	// The copy serves as a database: `audit verify` on it passes.
	out.Reset()
	e2 := env("MULTICERT_DB", "sqlite:"+copyPath, "MULTICERT_DATA_DIR", dir)
	if err := run(ctx, []string{"audit", "verify"}, &out, e2); err != nil {
		t.Fatalf("audit verify on the copy: %v (%s)", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"backup", copyPath}, &out, e); err == nil {
		t.Error("a backup over an existing file: want an error")
	}
	if err := run(ctx, []string{"backup"}, &out, e); err == nil {
		t.Error("backup without a path: want an error")
	}
	// The path may follow the flags; a second word is refused, not ignored.
	copy2 := filepath.Join(dir, "backup-2.db")
	if err := run(ctx, []string{"backup", "--data-dir", dir, copy2}, &out, e); err != nil {
		t.Fatalf("backup --data-dir DIR PATH: %v", err)
	}
	if _, err := os.Stat(copy2); err != nil {
		t.Errorf("backup --data-dir DIR PATH wrote no copy: %v", err)
	}
	if err := run(ctx, []string{"backup", filepath.Join(dir, "backup-3.db"), "extra"}, &out, e); err == nil || !strings.Contains(err.Error(), `unexpected argument "extra"`) {
		t.Errorf("backup PATH extra: %v, want unexpected argument", err)
	}
}
