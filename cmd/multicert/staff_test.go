package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/multicert/multicert/internal/config"
	"github.com/multicert/multicert/models"
)

// TestProductionInstallFromNothing is the README's production start
// without demo data: migrate, create the first admin on the command line
// (password on standard input), and that admin can log in; then list,
// reset-password and disable.
func TestProductionInstallFromNothing(t *testing.T) {
	for name, url := range dbURLs(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			dataDir := t.TempDir()
			e := env("MULTICERT_DB", url, "MULTICERT_DATA_DIR", dataDir)
			var out bytes.Buffer
			if err := run(ctx, []string{"migrate", "up"}, &out, e); err != nil {
				t.Fatal(err)
			}
			staff := func(stdin string, args ...string) (string, error) {
				out.Reset()
				err := runWithInput(ctx, append([]string{"staff"}, args...), strings.NewReader(stdin), &out, e)
				return out.String(), err
			}
			if _, err := staff("short\n", "add", "--username", "admin", "--name", "系統管理者", "--role", "admin"); err == nil ||
				!strings.Contains(err.Error(), "12") {
				t.Fatalf("a weak password: %v, want the rule", err)
			}
			if _, err := staff("Kx7-first-2026z\n", "add", "--username", "admin", "--name", "系統管理者", "--role", "boss"); err == nil {
				t.Fatal("an unknown role was accepted")
			}
			if got, err := staff("Kx7-first-2026z\n", "add", "--username", "admin", "--name", "系統管理者", "--role", "admin"); err != nil ||
				!strings.Contains(got, "added admin") {
				t.Fatalf("add: %v %q", err, got)
			}
			if _, err := staff("Clerk-first-2026\n", "add", "--username", "wang", "--name", "王小明", "--role", "staff", "--branch", "3"); err != nil {
				t.Fatal(err)
			}
			got, err := staff("", "list")
			if err != nil || !strings.Contains(got, "admin") || !strings.Contains(got, "中區業務組") {
				t.Fatalf("list: %v\n%s", err, got)
			}
			db, err := models.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer models.Close(db)
			n, err := db.NewSelect().Table("branches").Count(ctx)
			if err != nil || n != 6 {
				t.Fatalf("branches without demo data: %d %v, want the six", n, err)
			}
			store := models.NewStore(db)
			if store.AuditKeys, err = loadAuditKeys(&config.Config{DataDir: dataDir}, false, slog.Default()); err != nil {
				t.Fatal(err)
			}
			if _, _, err := store.StaffLogin(ctx, "", "admin", "Kx7-first-2026z", "192.0.2.1", ""); err != nil {
				t.Fatalf("the first admin logs in: %v", err)
			}
			if _, err := staff("Reset-by-cli-2026\n", "reset-password", "wang"); err != nil {
				t.Fatal(err)
			}
			_, st, err := store.StaffLogin(ctx, "", "wang", "Reset-by-cli-2026", "192.0.2.2", "")
			if err != nil || !st.MustChangePassword {
				t.Fatalf("after reset-password: %v, must change %v", err, st != nil && st.MustChangePassword)
			}
			if _, err := staff("", "disable", "wang"); err != nil {
				t.Fatal(err)
			}
			if _, _, err := store.StaffLogin(ctx, "", "wang", "Reset-by-cli-2026", "192.0.2.3", ""); err == nil {
				t.Fatal("a disabled account logged in")
			}
			if _, err := staff("", "disable", "nobody"); err == nil {
				t.Fatal("disable of an unknown name: want an error")
			}
		})
	}
}
