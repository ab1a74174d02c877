package main

import (
	"archive/zip"
	"bytes"
	"crypto/md5" //nolint:gosec // the manifest carries MD5 beside SHA-256 for the bureau's old pages
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multicert/multicert/internal/agent"
	"github.com/multicert/multicert/internal/testenv"
)

// TestDist runs scripts/dist twice with the same SOURCE_DATE_EPOCH: the
// manifests are equal (a reproducible build), the manifest's sizes and
// hashes are the files', the .deb holds the agent and its systemd user
// service, and the MSI holds cardagent.exe and the HKCU Run key that starts
// it at logon on the loopback address; --zip builds a zip with the exe
// and install.cmd, uninstall.cmd instead.
func TestDist(t *testing.T) {
	if testing.Short() {
		t.Skip("scripts/dist builds the agent twice: not with -short")
	}
	for _, tool := range []struct{ cmd, pkg string }{
		{"x86_64-w64-mingw32-gcc", "gcc-mingw-w64-x86-64-win32"},
		{"wixl", "wixl"},
		{"msiinfo", "msitools"},
		{"faketime", "faketime"},
		{"dpkg-deb", "dpkg"},
	} {
		if _, err := exec.LookPath(tool.cmd); err != nil {
			testenv.Missing(t, testenv.AgentDist, tool.cmd+" not installed (Debian package "+tool.pkg+"): scripts/dist not checked")
		}
	}
	if _, err := os.Stat("/usr/include/PCSC/winscard.h"); err != nil {
		testenv.Missing(t, testenv.AgentDist, "libpcsclite-dev not installed: scripts/dist not checked")
	}
	const origin = "https://portal.example"
	build := func(out string) []byte {
		cmd := exec.Command("../../scripts/dist", "--origin", origin, "--out", out)
		cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=1767225600")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("scripts/dist: %v\n%s", err, b)
		}
		m, err := os.ReadFile(filepath.Join(out, "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	dir := t.TempDir()
	first := build(dir)
	if second := build(t.TempDir()); !bytes.Equal(first, second) {
		t.Errorf("two builds differ:\n%s\n%s", first, second)
	}

	var m struct {
		Version string
		Files   []struct {
			Name, OS, SHA256, MD5 string
			Size                  int64
		}
		Notes []struct{ OS, Text string }
	}
	if err := json.Unmarshal(first, &m); err != nil {
		t.Fatalf("manifest: %v\n%s", err, first)
	}
	if m.Version != agent.Version {
		t.Errorf("version %q, want %q", m.Version, agent.Version)
	}
	byOS := map[string]string{}
	for _, f := range m.Files {
		b, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		sh, md := sha256.Sum256(b), md5.Sum(b) //nolint:gosec // see import
		if int64(len(b)) != f.Size || hex.EncodeToString(sh[:]) != f.SHA256 || hex.EncodeToString(md[:]) != f.MD5 {
			t.Errorf("%s: manifest says %d %s %s, the file is %d %x %x", f.Name, f.Size, f.SHA256, f.MD5, len(b), sh, md)
		}
		byOS[f.OS] = filepath.Join(dir, f.Name)
	}
	if len(m.Notes) == 0 || m.Notes[len(m.Notes)-1].OS != "macOS" {
		t.Errorf("no note on macOS: %+v", m.Notes)
	}

	deb := byOS["Linux"]
	if !strings.HasSuffix(deb, "_"+agent.Version+"_amd64.deb") {
		t.Fatalf("Linux installer %q", deb)
	}
	contents := output(t, "dpkg-deb", "--contents", deb)
	for _, want := range []string{"./usr/bin/cardagent", "./usr/lib/systemd/user/multicert-cardagent.service", "root/root"} {
		if !strings.Contains(contents, want) {
			t.Errorf("dpkg-deb --contents lacks %s:\n%s", want, contents)
		}
	}
	info := output(t, "dpkg-deb", "--info", deb)
	for _, want := range []string{"Package: multicert-cardagent", "Version: " + agent.Version, "pcscd"} {
		if !strings.Contains(info, want) {
			t.Errorf("dpkg-deb --info lacks %s:\n%s", want, info)
		}
	}
	unit := output(t, "dpkg-deb", "--fsys-tarfile", deb)
	if !strings.Contains(unit, "ExecStart=/usr/bin/cardagent --addr 127.0.0.1:56161 --origin "+origin) || !strings.Contains(unit, "WantedBy=default.target") {
		t.Errorf("the user service does not start the agent on the loopback address for %s", origin)
	}

	msi := byOS["Windows"]
	if !strings.HasSuffix(msi, ".msi") {
		t.Fatalf("Windows installer %q", msi)
	}
	if files := output(t, "msiinfo", "export", msi, "File"); !strings.Contains(files, "cardagent.exe") {
		t.Errorf("the MSI's File table lacks cardagent.exe:\n%s", files)
	}
	reg := output(t, "msiinfo", "export", msi, "Registry")
	want := "Software\\Microsoft\\Windows\\CurrentVersion\\Run\tmulticert-cardagent\t\"[INSTALLDIR]cardagent.exe\" --addr 127.0.0.1:56161 --origin " + origin
	if !strings.Contains(reg, "\t1\t"+want) { // root 1: HKCU
		t.Errorf("the MSI's Registry table lacks the HKCU Run key %q:\n%s", want, reg)
	}

	// --zip: the Windows installer without wixl.
	zdir := t.TempDir()
	cmd := exec.Command("../../scripts/dist", "--origin", origin, "--out", zdir, "--zip")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/dist --zip: %v\n%s", err, b)
	}
	zr, err := zip.OpenReader(filepath.Join(zdir, "multicert-cardagent-"+agent.Version+"-windows-x64.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, " "); got != "cardagent.exe install.cmd uninstall.cmd" {
		t.Errorf("zip holds %s", got)
	}
}

func output(t *testing.T, name string, args ...string) string {
	t.Helper()
	b, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return string(b)
}
