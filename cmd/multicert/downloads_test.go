package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/multicert/multicert/internal/config"
)

// TestDownloadsDir: the demo finds scripts/dist's installers in the working
// directory when its own downloads directory has no manifest; a configured
// directory, or one with a manifest, is kept.
func TestDownloadsDir(t *testing.T) {
	work := t.TempDir()
	t.Chdir(work)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	data := t.TempDir()
	own := filepath.Join(data, "agent-downloads")
	demo := &config.Config{Demo: true, DataDir: data}
	if got := downloadsDir(demo, log); got != own {
		t.Errorf("no dist: %q, want %q", got, own)
	}
	if err := os.MkdirAll(filepath.Join(work, "dist", "agent"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "dist", "agent", "manifest.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := downloadsDir(demo, log), filepath.Join(work, "dist", "agent"); got != want {
		t.Errorf("demo with dist: %q, want %q", got, want)
	}
	if got := downloadsDir(&config.Config{DataDir: data}, log); got != own {
		t.Errorf("not a demo: %q, want %q", got, own)
	}
	configured := filepath.Join(data, "configured")
	if got := downloadsDir(&config.Config{Demo: true, DataDir: data, AgentDownloads: configured}, log); got != configured {
		t.Errorf("configured: %q, want %q", got, configured)
	}
	if err := os.MkdirAll(own, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(own, "manifest.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := downloadsDir(demo, log); got != own {
		t.Errorf("own manifest: %q, want %q", got, own)
	}
}
