package handlers_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/multicert/multicert/models/modelstest"
)

// TestEnvironmentManifest: with scripts/dist's manifest.json beside the
// installers, 環境說明 lists the manifest's files (only those present at the
// manifest's size) with its hashes, its notes (why an OS has none), the
// install and removal steps per OS, and passes the manifest's version to the
// self-test; a broken manifest falls back to listing the directory.
func TestEnvironmentManifest(t *testing.T) {
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	dir := e.srv.Downloads
	for name, body := range map[string]string{
		"multicert-cardagent_1.2.0_amd64.deb": "deb bytes",
		"multicert-cardagent-1.2.0-x64.msi":   "msi bytes",
		"manifest.json": `{"version": "1.2.0", "files": [
			{"name": "multicert-cardagent-1.2.0-x64.msi", "os": "Windows", "size": 9, "sha256": "` + strings.Repeat("a", 64) + `", "md5": "` + strings.Repeat("b", 32) + `"},
			{"name": "multicert-cardagent_1.2.0_amd64.deb", "os": "Linux", "size": 9, "sha256": "` + strings.Repeat("c", 64) + `", "md5": "` + strings.Repeat("d", 32) + `"},
			{"name": "gone.zip", "os": "Windows", "size": 1, "sha256": "", "md5": ""},
			{"name": "` + testInstaller + `", "os": "Linux", "size": 1, "sha256": "", "md5": ""},
			{"name": "../main_test.go", "os": "Linux", "size": 1, "sha256": "", "md5": ""}],
		 "notes": [{"os": "macOS", "text": "macOS 版須在 Mac 上建置"}]}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := e.anonymous().get("/environment")
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	var rows []string
	doc.Find("table.data tbody tr").Each(func(_ int, tr *goquery.Selection) {
		var cells []string
		tr.Find("td").Each(func(_ int, td *goquery.Selection) { cells = append(cells, strings.TrimSpace(td.Text())) })
		rows = append(rows, strings.Join(cells, " | "))
	})
	want := []string{
		"Windows | multicert-cardagent-1.2.0-x64.msi | 9 位元組 | " + strings.Repeat("a", 64) + " | " + strings.Repeat("B", 32),
		"Linux | multicert-cardagent_1.2.0_amd64.deb | 9 位元組 | " + strings.Repeat("c", 64) + " | " + strings.Repeat("D", 32),
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	if got := doc.Find("[data-download-note]").Text(); got != "macOS：macOS 版須在 Mac 上建置" {
		t.Errorf("note %q", got)
	}
	if got, _ := doc.Find("#selftest").Attr("data-latest-version"); got != "1.2.0" {
		t.Errorf("data-latest-version %q, want 1.2.0", got)
	}
	for osName, words := range map[string][]string{
		"Windows": {".msi", "install.cmd", "解除安裝", "uninstall.cmd"},
		"Linux":   {"apt install", "systemctl --user enable --now multicert-cardagent", "systemctl --user disable --now", "apt remove"},
		"macOS":   {"在 Mac 上建置"},
	} {
		steps := doc.Find(`[data-steps="` + osName + `"]`).Text()
		for _, w := range words {
			if !strings.Contains(steps, w) {
				t.Errorf("%s steps lack %q: %s", osName, w, steps)
			}
		}
	}
	wantContains(t, r, "本機網路存取", "網站設定", "允許")

	dl := e.anonymous().get("/environment/downloads/multicert-cardagent_1.2.0_amd64.deb")
	if dl.StatusCode != http.StatusOK || dl.body != "deb bytes" {
		t.Errorf("download: %d %q", dl.StatusCode, dl.body)
	}
	for _, name := range []string{"manifest.json", "gone.zip", "..%2fmain_test.go", testInstaller} {
		if r := e.anonymous().get("/environment/downloads/" + name); r.StatusCode != http.StatusNotFound {
			t.Errorf("download %s: %d, want 404", name, r.StatusCode)
		}
	}

	// A broken manifest: the directory's files, hashed here.
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = e.anonymous().get("/environment")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, testInstaller, "multicert-cardagent-1.2.0-x64.msi")
}
