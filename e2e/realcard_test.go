package e2e

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/internal/agent/pcsc/pcsctest"
	"github.com/multicert/multicert/internal/card"
	"github.com/multicert/multicert/internal/cardemu"
	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/internal/devca"
	"github.com/multicert/multicert/internal/testenv"
	"github.com/multicert/multicert/models"
)

var (
	agentOnce sync.Once
	agentBin  string
	agentErr  error

	// The PC/SC stack, joined by the first test that needs it and left in
	// TestMain.
	pcscOnce  sync.Once
	pcscStack *pcsctest.Stack
	pcscErr   error
)

// requireCardStack skips (or, with MULTICERT_REQUIRE_PCSC set, fails) unless
// the tests were built with the pcsc tag and pcscd with vpcd and SoftHSM2
// are there, and builds the card agent with that tag.
func requireCardStack(t *testing.T) (string, devca.SoftHSMConfig) {
	t.Helper()
	missing := func(what string) {
		testenv.Missing(t, testenv.PCSC, "real card stack not available: "+what+" (install pcscd, vsmartcard-vpcd, softhsm2 and opensc)")
	}
	if !pcsctest.Built {
		testenv.Missing(t, testenv.PCSC, "real card agent not available: "+pcsctest.NotBuilt)
	}
	pcscOnce.Do(func() { pcscStack, pcscErr = pcsctest.Start() })
	if pcscErr != nil {
		missing(pcscErr.Error())
	}
	cfg, err := devca.NewSoftHSMConfig(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Check(); err != nil {
		missing(err.Error())
	}
	agentOnce.Do(func() {
		agentBin = filepath.Join(binDir, "cardagent")
		out, err := exec.Command("go", "build", "-C", "..", "-tags", "pcsc", "-o", agentBin, "./cmd/cardagent").CombinedOutput()
		if err != nil {
			agentErr = &buildError{err: err, out: string(out)}
		}
	})
	if agentErr != nil {
		t.Fatal(agentErr)
	}
	return agentBin, cfg
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string {
	return "go build -tags pcsc ./cmd/cardagent: " + e.err.Error() + "\n" + e.out
}

// TestUnitLogsInThroughRealAgent is the whole chain: a business certificate
// card played by the emulator in vpcd's reader, pcscd, the card agent (PC/SC
// through ebfe/scard, signing through PKCS#11 on a SoftHSM2 token holding the
// card's key), the browser, the server's checks, the portal home.
func TestUnitLogsInThroughRealAgent(t *testing.T) {
	loginThroughRealAgent(t, demoUnitCard(t), nil, "main", demo.UnitCode(0))
}

// demoUnitCard picks the demo's own business card of unit 100000001, from
// the server's development CA.
func demoUnitCard(t *testing.T) func(*devca.CA, *bun.DB) (*devca.Card, cardemu.Card) {
	return func(ca *devca.CA, db *bun.DB) (*devca.Card, cardemu.Card) {
		var ban string
		if err := db.NewSelect().Table("units").Column("ban").Where("code = ?", demo.UnitCode(0)).Scan(context.Background(), &ban); err != nil {
			t.Fatal(err)
		}
		for _, c := range ca.Cards() {
			if c.Kind == devca.KindBusiness && c.Holder == ban { // the first: the one bound (a renewed card follows)
				return c, cardemu.NewCertCard(c.Cert.Raw, card.TypeBusinessCert, c.TokenSerial)
			}
		}
		t.Fatalf("no business card of the demo unit (統一編號 %s) in the development CA", ban)
		return nil, nil
	}
}

// realCardServer starts a demo server without its simulated reader, and
// the real card agent for it with the demo unit's own business card
// (from the server's development CA) in vpcd's second reader, its key on
// a SoftHSM2 token; it skips as requireCardStack does.
func realCardServer(t *testing.T) *server {
	t.Helper()
	return realAgentServer(t, demoUnitCard(t))
}

// TestHospitalLogsInThroughRealAgent: the demo hospital's 醫事憑證 (HCA)
// through the same chain; the server tells its kind by the HCA CA it
// chains to and finds the hospital by its 醫事機構代碼.
func TestHospitalLogsInThroughRealAgent(t *testing.T) {
	var code string
	loginThroughRealAgent(t, func(ca *devca.CA, db *bun.DB) (*devca.Card, cardemu.Card) {
		units, err := demo.KindUnits(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		for _, ku := range units {
			if ku.Kind != certlogin.KindHCA {
				continue
			}
			code = ku.Code
			for _, c := range ca.Cards() {
				if c.Kind == devca.KindHCA && c.Holder == ku.ID {
					return c, cardemu.NewCertCard(c.Cert.Raw, card.TypeBusinessCert, c.TokenSerial)
				}
			}
		}
		t.Fatal("no 醫事憑證 of the demo hospital in the development CA")
		return nil, nil
	}, nil, "main", demo.UnitCode(13))
	if code != demo.UnitCode(13) {
		t.Errorf("the demo hospital is unit %s, the test looked for %s", code, demo.UnitCode(13))
	}
}

// TestClerkLogsInWithTwoCertificateCard: the demo clerk's 自然人憑證 holds
// an encryption and a signing certificate, the encryption one where a
// reader going by position looks first (slot 2 of the HiCOS file, first on
// the PKCS#11 token). The agent must sign with the signing one, or the
// server refuses the login.
func TestClerkLogsInWithTwoCertificateCard(t *testing.T) {
	loginThroughRealAgent(t, func(ca *devca.CA, db *bun.DB) (*devca.Card, cardemu.Card) {
		p, err := demo.People(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range ca.Cards() {
			if c.Kind == devca.KindCitizen && c.Holder == p.ClerkIDNo {
				if c.EncCert == nil {
					t.Fatal("the demo clerk's card has one certificate; the demo issues two")
				}
				return c, cardemu.NewCertCard(c.EncCert.Raw, card.TypeCitizenCert, c.TokenSerial, cardemu.WithSlot1(c.Cert.Raw))
			}
		}
		t.Fatal("no citizen card of the demo clerk in the development CA")
		return nil, nil
	}, []chromedp.Action[chromedp.Void]{
		chromedp.Click(chromedp.CSS(`input[name="as_unit"]`)),
		chromedp.SendKeys(chromedp.ID("unit_code"), demo.UnitCode(0)),
	}, "header", demo.UnitCode(0))
}

// loginThroughRealAgent starts a demo server and the real card agent with
// the card pick chooses (realAgentServer), and logs in on the login page
// with the PIN and the extra form actions; the page reached must be
// /portal with want in its sel.
func loginThroughRealAgent(t *testing.T, pick func(*devca.CA, *bun.DB) (*devca.Card, cardemu.Card), extra []chromedp.Action[chromedp.Void], sel, want string) {
	t.Helper()
	srv := realAgentServer(t, pick)
	b := newBrowser(t)
	actions := []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(srv.URL + "/login"),
		chromedp.WaitVisible(chromedp.ID("pin")),
		chromedp.SendKeys(chromedp.ID("pin"), "123456"),
	}
	actions = append(actions, extra...)
	actions = append(actions, chromedp.Click(chromedp.CSS(`form[data-card-flow] button[type="submit"]`)))
	if err := chromedp.Do(b, actions...); err != nil {
		t.Fatal(err)
	}
	if _, err := waitPath(b, "/portal"); err != nil {
		status, _, _ := textOf(b, "#card-status")
		t.Fatalf("after signing in through the real agent: %v (status: %s)", err, status)
	}
	if _, err := waitText(b, sel, want); err != nil {
		t.Fatalf("portal: %v", err)
	}
}

// realAgentServer starts a demo server without its simulated reader, puts
// the card pick chooses into vpcd's second reader (emulated as emu) and
// into a SoftHSM2 token, and runs the real card agent for the server; it
// skips as requireCardStack does.
func realAgentServer(t *testing.T, pick func(*devca.CA, *bun.DB) (*devca.Card, cardemu.Card)) *server {
	t.Helper()
	agentPath, hsm := requireCardStack(t)
	agentAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t)))
	srv := startServer(t, "--demo-agent=false", "--agent-url", "http://"+agentAddr)

	ca, err := devca.Load(filepath.Join(srv.DataDir, "devca"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := models.Open(context.Background(), "sqlite:"+filepath.Join(srv.DataDir, "multicert.db"))
	if err != nil {
		t.Fatal(err)
	}
	c, emu := pick(ca, db)
	db.Close()
	ctx := context.Background()
	if err := devca.ImportSoftHSM(ctx, hsm, c, "demo-card", "123456", "12345678"); err != nil {
		t.Fatal(err)
	}

	// vpcd's second reader: the PC/SC package's tests use the first.
	reader := cardemu.NewReader(pcsctest.Reader2Addr)
	t.Cleanup(reader.Close)
	if err := reader.Insert(emu); err != nil {
		t.Fatalf("insert the card into vpcd: %v", err)
	}

	agentCmd := exec.Command(agentPath, "--addr", agentAddr, "--origin", srv.URL, "--pkcs11-module", hsm.Module, "--reader", pcsctest.Reader2Name)
	agentCmd.Env = append(os.Environ(), hsm.Environ()...)
	out := &syncBuffer{}
	agentCmd.Stdout, agentCmd.Stderr = out, out
	if err := agentCmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		agentCmd.Process.Signal(os.Interrupt) //nolint:errcheck
		agentCmd.Wait()                       //nolint:errcheck
		if t.Failed() {
			t.Logf("card agent output:\n%s", out.String())
		}
	})
	waitHTTP(t, "http://"+agentAddr+"/")
	return srv
}

// waitHTTP waits until url answers.
func waitHTTP(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never answered", url)
}
