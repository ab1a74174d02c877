package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

// TestLocalNetworkAccess: with no agent running, the self-test on 環境說明
// tells a blocked Local Network Access permission (Chrome 142+) from an
// agent that is not running, and says how to allow it. The permission is
// set through CDP's Browser.setPermission; a Chromium that does not know
// the permission skips that part. The decision itself (permission state →
// message) is checked in every browser.
func TestLocalNetworkAccess(t *testing.T) {
	t.Parallel()
	closed := "http://127.0.0.1:" + strconv.Itoa(freePort(t)) // nothing listens there
	srv := startServer(t, "--demo-agent=false", "--agent-url", closed)
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/environment")); err != nil {
		t.Fatal(err)
	}

	// The decision, state by state, on this (loopback) page and as if public.
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`["denied", "prompt", "granted", "unsupported"].map(s => window.multicertAgent.unreachable(s).code).join(" ")`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "lna_denied agent_unreachable agent_unreachable agent_unreachable"; got != want {
		t.Errorf("codes on a loopback page: %q, want %q", got, want)
	}
	msg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.multicertAgent.unreachable("denied").message`))
	if err != nil || !strings.Contains(msg, "網站設定") || !strings.Contains(msg, "本機網路存取") || !strings.Contains(msg, "允許") {
		t.Errorf("denied message %q (%v) does not say how to allow", msg, err)
	}

	v, err := chromedp.Call(ctx, browser.GetVersion, cdp.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		setting browser.PermissionSetting
		state   string // what the page reads
		advice  string
	}{
		{browser.PermissionSettingDenied, "已封鎖", "瀏覽器封鎖了本網站連線到您電腦上的憑證元件"},
		{browser.PermissionSettingGranted, "已允許", "找不到憑證元件"},
	} {
		t.Run(string(c.setting), func(t *testing.T) {
			_, err := chromedp.Call(ctx, browser.SetPermission, browser.SetPermissionParams{
				Permission: &browser.PermissionDescriptor{Name: "local-network-access"}, Setting: c.setting, Origin: srv.URL})
			if err != nil {
				t.Skipf("%s does not know the permission local-network-access (Browser.setPermission: %v)", v.Product, err)
			}
			if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/environment"), chromedp.Click(chromedp.ID("selftest-run"))); err != nil {
				t.Fatal(err)
			}
			if _, err := waitText(ctx, "#selftest-advice", c.advice); err != nil {
				t.Errorf("%s: %v", v.Product, err)
			}
			if _, err := waitText(ctx, "#selftest-steps", "本機網路存取權限："+c.state); err != nil {
				t.Errorf("%s: %v", v.Product, err)
			}
			t.Logf("%s, local-network-access %s: the self-test says %q", v.Product, c.setting, c.advice)
		})
	}
}

// TestNewerAgentVersion: when manifest.json names a newer version than the
// running agent's, the self-test says 「有新版元件，請下載更新」.
func TestNewerAgentVersion(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	manifest := `{"version": "99.0.0", "files": [], "notes": []}`
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, "--agent-downloads", dir)
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/environment"), chromedp.Click(chromedp.ID("selftest-run"))); err != nil {
		t.Fatal(err)
	}
	if _, err := waitText(ctx, "#selftest-steps", "有新版元件，請下載更新"); err != nil {
		t.Error(err)
	}
}
