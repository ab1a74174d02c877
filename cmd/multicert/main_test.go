package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/internal/agent"
	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/internal/config"
	"github.com/multicert/multicert/internal/devca"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

func TestMain(m *testing.M) { os.Exit(modelstest.Main(m)) }

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{} }
func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func dbURLs(t *testing.T) map[string]string {
	urls := map[string]string{"sqlite": modelstest.URLSQLite(t)}
	if os.Getenv(modelstest.EnvPG) != "" {
		urls["postgres"] = modelstest.MustURLPG(t, false)
	}
	return urls
}

// TestServe boots the real program on a free port, checks the health
// endpoints and the login page, and stops it as SIGTERM would.
func TestServe(t *testing.T) {
	for name, url := range dbURLs(t) {
		t.Run(name, func(t *testing.T) {
			addr := freeAddr(t)
			dataDir, agentURL := t.TempDir(), "http://"+freeAddr(t)
			ctx, cancel := context.WithCancel(context.Background())
			out := newSyncBuffer()
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, []string{"serve", "--demo", "--demo-units", "30"}, out,
					env("MULTICERT_DB", url, "MULTICERT_ADDR", addr, "MULTICERT_LOG_LEVEL", "warn", "MULTICERT_DATA_DIR", dataDir,
						"MULTICERT_AGENT_URL", agentURL, "MULTICERT_SHUTDOWN_DRAIN", "0s"))
			}()
			base := "http://" + addr
			var res *http.Response
			var err error
			for i := 0; i < 100; i++ {
				if res, err = http.Get(base + "/readyz"); err == nil {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err != nil {
				cancel()
				t.Fatalf("server never answered: %v\n%s", err, out.String())
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Errorf("readyz = %d", res.StatusCode)
			}
			res, err = http.Get(base + "/console/login")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if !strings.Contains(string(b), "署內人員登入") {
				t.Errorf("login page:\n%s", b)
			}
			for _, want := range []string{"listening on " + base + "/", "taipei.staff", demo.Password} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("start-up output lacks %q:\n%s", want, out.String())
				}
			}
			cancel() // what SIGTERM does through signal.NotifyContext
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("serve returned %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("serve did not shut down")
			}
		})
	}
}

func TestMigrateCommands(t *testing.T) {
	for name, url := range dbURLs(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			e := env("MULTICERT_DB", url)
			var out bytes.Buffer
			for _, step := range []struct {
				args []string
				want string
			}{
				{[]string{"migrate", "status"}, "pending"},
				{[]string{"migrate", "up"}, "migration(s)"},
				{[]string{"migrate", "status"}, "applied 20"},
				{[]string{"migrate", "down"}, "reverted"},
				{[]string{"migrate", "up"}, "applied 1 migration"},
			} {
				out.Reset()
				if err := run(ctx, step.args, &out, e); err != nil {
					t.Fatalf("%v: %v", step.args, err)
				}
				if !strings.Contains(out.String(), step.want) {
					t.Errorf("%v printed %q, want %q", step.args, out.String(), step.want)
				}
			}
			if err := run(ctx, []string{"migrate", "sideways"}, &out, e); err == nil {
				t.Error("migrate sideways: want an error")
			}
		})
	}
}

// TestAuditVerifyCommand tampers with an event behind the trigger's back
// and expects `audit verify` to name it.
func TestAuditVerifyCommand(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	e := env("MULTICERT_DB", "sqlite:"+path, "MULTICERT_DATA_DIR", t.TempDir())
	var out bytes.Buffer
	if err := run(ctx, []string{"demo", "--units", "5"}, &out, e); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"audit", "verify"}, &out, e); err != nil || !strings.Contains(out.String(), "OK") {
		t.Fatalf("verify on a clean chain: %v %q", err, out.String())
	}
	db, err := models.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"DROP TRIGGER audit_events_no_update", "UPDATE audit_events SET actor_name = 'mallory' WHERE seq = 7"} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	err = run(ctx, []string{"audit", "verify"}, &out, e)
	if err == nil || !strings.Contains(err.Error(), "seq 7") {
		t.Fatalf("verify after tampering: %v; want the break at seq 7 named", err)
	}
}

func TestDemoCommandIdempotent(t *testing.T) {
	ctx := context.Background()
	e := env("MULTICERT_DB", modelstest.URLSQLite(t), "MULTICERT_DATA_DIR", t.TempDir())
	var out bytes.Buffer
	if err := run(ctx, []string{"demo", "--units", "200"}, &out, e); err != nil {
		t.Fatal(err)
	}
	// 200 units: a year's work in proportion (60 phone cases, 40 change
	// requests, 6 deregistrations) and 25 audit events per unit.
	if !strings.Contains(out.String(), "added 200 units") || !strings.Contains(out.String(), "demo work: added 60 phone cases (6 open), 40 change requests") {
		t.Errorf("first demo: %q", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"demo", "--units", "200"}, &out, e); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "added 0 units, 0 accounts, 0 clerks, 0 staff") || !strings.Contains(out.String(), "demo work: added 0 phone cases") {
		t.Errorf("second demo: %q", out.String())
	}
}

func TestBadInvocations(t *testing.T) {
	var out bytes.Buffer
	for _, args := range [][]string{{"frobnicate"}, {"audit"}, {"serve", "--log-level", "loud"}, {"serve", "--db", "mysql://x"}} {
		if err := run(context.Background(), args, &out, env()); err == nil {
			t.Errorf("%v: want an error", args)
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"version"}, &out, env()); err != nil || !strings.HasPrefix(out.String(), "multicert ") {
		t.Errorf("version: %v %q", err, out.String())
	}
}

// TestDevCA makes a development CA and cards with `dev-ca`, then starts the
// certificate checks from the files it printed, CRLs included: refused
// until the worker's loader has stored the CRLs, accepted after.
func TestDevCA(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	err := run(context.Background(), []string{"dev-ca", "--dir", dir, "--business", "04595257:測試股份有限公司", "--citizen", "A123456789:王小明",
		"--gca", "2.16.886.101.90000.1:測試市政府", "--xca", "2.16.886.101.90000.2:測試大學", "--hca", "3599990013:測試醫院"}, &out, env())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"SERIALNUMBER=04595257", "SERIALNUMBER=6789,CN=王小明", "SERIALNUMBER=3599990013", "--business-ca", "--gca-ca", "--hca-ca"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dev-ca printed %q, want %q", out.String(), want)
		}
	}
	cfg := &config.Config{BusinessCA: []string{filepath.Join(dir, "business-ca.pem")}, CitizenCA: []string{filepath.Join(dir, "citizen-ca.pem")},
		GCACA: []string{filepath.Join(dir, "gca-ca.pem")}, XCACA: []string{filepath.Join(dir, "xca-ca.pem")}, HCACA: []string{filepath.Join(dir, "hca-ca.pem")},
		CRLs: []string{filepath.Join(dir, "business_cert.crl"), filepath.Join(dir, "citizen_cert.crl"),
			filepath.Join(dir, "gca_cert.crl"), filepath.Join(dir, "xca_cert.crl"), filepath.Join(dir, "hca_cert.crl")}, CRLRequired: true,
		Addr: "127.0.0.1:8080", AgentURL: "http://127.0.0.1:56161"}
	db := modelstest.MustOpenSQLite(t)
	cards, err := cardAuth(cfg, nil, db)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := devca.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ca.Cards()) != 5 {
		t.Fatalf("dev-ca issued %d cards, want one of each of the 5 kinds", len(ca.Cards()))
	}
	for _, c := range ca.Cards() {
		if c.Kind == devca.KindCitizen {
			if _, err := cards.Citizen.VerifyCertificate(t.Context(), c.Cert.Raw, nil); !errors.Is(err, certlogin.ErrCRLStale) {
				t.Errorf("%s card before the CRLs are stored: %v, want %v", c.Kind, err, certlogin.ErrCRLStale)
			}
			continue
		}
		if _, _, err := cards.Units.VerifyCertificate(t.Context(), c.Cert.Raw, nil); !errors.Is(err, certlogin.ErrCRLStale) {
			t.Errorf("%s card before the CRLs are stored: %v, want %v", c.Kind, err, certlogin.ErrCRLStale)
		}
	}
	loader, err := crlLoader(cfg, nil, models.NewStore(db), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := loader.LoadCRLs(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantKind := map[string]certlogin.Kind{devca.KindBusiness: certlogin.KindMOEACA, devca.KindGCA: certlogin.KindGCA,
		devca.KindXCA: certlogin.KindXCA, devca.KindHCA: certlogin.KindHCA}
	for _, c := range ca.Cards() {
		nonce := []byte("0123456789abcdef0123456789abcdef")
		alg, sig, err := c.Sign(agent.Digest(cards.Origin, nonce))
		if err != nil {
			t.Fatal(err)
		}
		in := certlogin.Input{CertDER: c.Cert.Raw, Origin: cards.Origin, Nonce: nonce, Signature: sig, Algorithm: alg}
		if c.Kind == devca.KindCitizen {
			if c.EncCert == nil {
				t.Error("the citizen card has no encryption certificate")
			}
			if _, err := cards.Citizen.Verify(t.Context(), in); err != nil {
				t.Errorf("%s card: %v", c.Kind, err)
			}
			continue
		}
		if kind, _, err := cards.Units.Verify(t.Context(), in); err != nil || kind != wantKind[c.Kind] {
			t.Errorf("%s card: %q, %v; want %q", c.Kind, kind, err, wantKind[c.Kind])
		}
	}
	// A CRL of one kind's CA revokes that kind's card only.
	hcaCard := ca.Cards()[3]
	now := time.Now()
	revoked, err := ca.CRL(devca.KindHCA, []*big.Int{hcaCard.Cert.SerialNumber}, now, now.AddDate(0, 0, 7))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hca_cert.crl"), revoked, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := loader.LoadCRLs(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, c := range ca.Cards()[:4] {
		_, _, err := cards.Units.VerifyCertificate(t.Context(), c.Cert.Raw, nil)
		if c == hcaCard && !errors.Is(err, certlogin.ErrRevoked) || c != hcaCard && err != nil {
			t.Errorf("%s card after the HCA CRL revoked the HCA card: %v", c.Kind, err)
		}
	}
	if err := run(context.Background(), []string{"dev-ca", "--dir", dir, "--business", "no-colon"}, &out, env()); err == nil {
		t.Error("--business without a colon: want an error")
	}
}

// TestServerNeedsNoCgo keeps the card agent's cgo packages (PC/SC through
// ebfe/scard, PKCS#11) out of the server binary.
func TestServerNeedsNoCgo(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, bad := range []string{"github.com/ebfe/scard", "github.com/miekg/pkcs11", "github.com/multicert/multicert/internal/agent/pcsc", "github.com/multicert/multicert/internal/agent/p11"} {
		if strings.Contains(string(out), bad+"\n") {
			t.Errorf("the server imports %s", bad)
		}
	}
	build := exec.Command("go", "build", "-o", filepath.Join(t.TempDir(), "multicert"), ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Errorf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
}
