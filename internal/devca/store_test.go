package devca_test

import (
	"bytes"
	"crypto"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/devca"
)

// publicEqual reports whether two keys have the same public half.
func publicEqual(a, b crypto.Signer) bool {
	pa, ok := a.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && pa.Equal(b.Public())
}

func TestSaveLoad(t *testing.T) {
	ca, err := devca.NewCA(devca.Options{CRLBaseURL: "https://crl.example.test"})
	if err != nil {
		t.Fatalf("NewCA: %v", err)
	}
	now := time.Now()
	biz, err := ca.IssueBusiness("04595257", "測試股份有限公司", now, now.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	cit, err := ca.IssueCitizen("王小明", "A123456789", now, now.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	gca, err := ca.IssueGCA("2.16.886.101.20003", "測試市政府", now, now.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	xca, err := ca.IssueXCA("2.16.886.500.1", "測試大學", now, now.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	hca, err := ca.IssueHCA("0101090517", "測試醫院", now, now.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.IssueCitizenPair("陳大文", "B123456780", now, now.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "ca")
	if err := ca.Save(dir); err != nil {
		t.Fatalf("Save: %v", err)
	}
	got, err := devca.Load(dir)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}

	pairs := []struct {
		name      string
		got, want devca.KeyPair
	}{
		{"root", got.Root, ca.Root},
		{"business", got.Business, ca.Business},
		{"citizen", got.Citizen, ca.Citizen},
		{"gca", got.GCA, ca.GCA},
		{"xca", got.XCA, ca.XCA},
		{"hca", got.HCA, ca.HCA},
	}
	for _, p := range pairs {
		if !p.got.Cert.Equal(p.want.Cert) {
			t.Errorf("%s certificate differs after Load", p.name)
		}
		if !publicEqual(p.got.Key, p.want.Key) {
			t.Errorf("%s key differs after Load", p.name)
		}
	}

	cards := got.Cards()
	want := []*devca.Card{biz, cit, gca, xca, hca, pair}
	if len(cards) != len(want) {
		t.Fatalf("Load gave %d cards, want %d", len(cards), len(want))
	}
	for i, w := range want {
		g := cards[i]
		if !g.Cert.Equal(w.Cert) || !publicEqual(g.Key, w.Key) {
			t.Errorf("card %d: certificate or key differs after Load", i)
		}
		if g.Kind != w.Kind || g.TokenSerial != w.TokenSerial || g.Holder != w.Holder {
			t.Errorf("card %d: Kind, TokenSerial, Holder = %q, %q, %q; want %q, %q, %q",
				i, g.Kind, g.TokenSerial, g.Holder, w.Kind, w.TokenSerial, w.Holder)
		}
		if g.Issuer == nil || !g.Issuer.Equal(w.Issuer) {
			t.Errorf("card %d: Issuer differs after Load", i)
		}
		if (g.EncCert == nil) != (w.EncCert == nil) || g.EncCert != nil && (!g.EncCert.Equal(w.EncCert) || !publicEqual(g.EncKey, w.EncKey)) {
			t.Errorf("card %d: encryption certificate differs after Load", i)
		}
	}

	// The loaded CA keeps its options and can issue and sign CRLs.
	c3, err := got.IssueCitizen("陳美麗", "B234567890", now, now.AddDate(1, 0, 0))
	if err != nil {
		t.Fatalf("IssueCitizen after Load: %v", err)
	}
	if err := c3.Cert.CheckSignatureFrom(ca.Citizen.Cert); err != nil {
		t.Errorf("card issued after Load is not signed by the original intermediate: %v", err)
	}
	if want := "https://crl.example.test/citizen.crl"; len(c3.Cert.CRLDistributionPoints) != 1 || c3.Cert.CRLDistributionPoints[0] != want {
		t.Errorf("CRLDistributionPoints after Load = %v, want [%s]", c3.Cert.CRLDistributionPoints, want)
	}

	// Key files are private; certificates readable.
	perms := []struct {
		file string
		want os.FileMode
	}{
		{"root-key.pem", 0o600},
		{"business-ca-key.pem", 0o600},
		{"citizen-ca-key.pem", 0o600},
		{"root.pem", 0o644},
		{"manifest.json", 0o644},
	}
	for _, p := range perms {
		fi, err := os.Stat(filepath.Join(dir, p.file))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != p.want {
			t.Errorf("%s mode = %o, want %o", p.file, got, p.want)
		}
	}

	js, err := os.ReadFile(filepath.Join(dir, devca.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var m devca.Manifest
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if len(m.Cards) != 6 {
		t.Fatalf("manifest lists %d cards, want 6", len(m.Cards))
	}
	mb, mc := m.Cards[0], m.Cards[1]
	checks := []struct {
		name, got, want string
	}{
		{"business kind", mb.Kind, devca.KindBusiness},
		{"business BAN", mb.BAN, "04595257"},
		{"business subject", mb.Subject, biz.Cert.Subject.String()},
		{"business token serial", mb.TokenSerial, biz.TokenSerial},
		{"business serial", mb.Serial, biz.Cert.SerialNumber.Text(16)},
		{"citizen kind", mc.Kind, devca.KindCitizen},
		{"citizen ID", mc.IDNo, "A123456789"},
		{"citizen ID suffix", mc.IDSuffix, "6789"},
		{"citizen token serial", mc.TokenSerial, cit.TokenSerial},
		{"GCA identifier", m.Cards[2].OrgID, "2.16.886.101.20003"},
		{"HCA code", m.Cards[4].OrgID, "0101090517"},
		{"single card's encryption certificate", mc.EncCert, ""},
		{"pair's encryption certificate", m.Cards[5].EncCert, strings.TrimSuffix(m.Cards[5].Cert, ".pem") + "-enc.pem"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("manifest %s = %q, want %q", c.name, c.got, c.want)
		}
	}
	for _, mc := range m.Cards {
		fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(mc.Key)))
		if err != nil {
			t.Fatalf("card key file: %v", err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("%s mode = %o, want 600", mc.Key, got)
		}
	}
}

// readManifest reads dir's manifest.
func readManifest(t *testing.T, dir string) devca.Manifest {
	t.Helper()
	js, err := os.ReadFile(filepath.Join(dir, devca.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var m devca.Manifest
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadRejectsMixedFiles(t *testing.T) {
	now := time.Now()
	a, err := devca.NewCA(devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := devca.NewCA(devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ca := range []*devca.CA{a, b} {
		if _, err := ca.IssueBusiness("04595257", "測試公司", now, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	// Each case copies files from b's directory into a's; "card" and
	// "card-key" stand for the first card's files.
	tests := []struct {
		name  string
		files []string
	}{
		{"intermediate key from another CA", []string{"business-ca-key.pem"}},
		{"intermediate pair from another CA", []string{"citizen-ca.pem", "citizen-ca-key.pem"}},
		{"root pair from another CA", []string{"root.pem", "root-key.pem"}},
		{"card pair from another CA", []string{"card", "card-key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			da, db := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
			if err := a.Save(da); err != nil {
				t.Fatal(err)
			}
			if err := b.Save(db); err != nil {
				t.Fatal(err)
			}
			if _, err := devca.Load(da); err != nil {
				t.Fatalf("Load of an intact directory: %v", err)
			}
			ma, mb := readManifest(t, da), readManifest(t, db)
			for _, f := range tt.files {
				from, to := f, f
				switch f {
				case "card":
					from, to = mb.Cards[0].Cert, ma.Cards[0].Cert
				case "card-key":
					from, to = mb.Cards[0].Key, ma.Cards[0].Key
				}
				copyFile(t, filepath.Join(db, filepath.FromSlash(from)), filepath.Join(da, filepath.FromSlash(to)))
			}
			if _, err := devca.Load(da); err == nil {
				t.Errorf("Load with %v from another CA = nil error, want an error", tt.files)
			}
		})
	}
}

func TestLoadRejectsPathOutsideDir(t *testing.T) {
	ca := testCA(t)
	now := time.Now()
	if _, err := ca.IssueBusiness("04595257", "測試公司", now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	dir := filepath.Join(base, "ca")
	if err := ca.Save(dir); err != nil {
		t.Fatal(err)
	}
	m := readManifest(t, dir)
	// The key also exists outside the directory, so only the path check
	// can refuse it.
	key := m.Cards[0].Key
	copyFile(t, filepath.Join(dir, filepath.FromSlash(key)), filepath.Join(base, filepath.FromSlash(key)))
	m.Cards[0].Key = "../" + key
	js, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, devca.ManifestFile), js, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := devca.Load(dir); err == nil {
		t.Errorf("Load with key path %q = nil error, want an error", m.Cards[0].Key)
	}
}

func TestLoadOrCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo-ca")
	first, err := devca.LoadOrCreate(dir, devca.Options{})
	if err != nil {
		t.Fatalf("LoadOrCreate (create): %v", err)
	}
	now := time.Now()
	card, err := first.IssueBusiness("04595257", "測試公司", now, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Save(dir); err != nil {
		t.Fatal(err)
	}
	second, err := devca.LoadOrCreate(dir, devca.Options{})
	if err != nil {
		t.Fatalf("LoadOrCreate (load): %v", err)
	}
	if !second.Root.Cert.Equal(first.Root.Cert) {
		t.Errorf("second LoadOrCreate made a new root, want the saved one")
	}
	cards := second.Cards()
	if len(cards) != 1 || !bytes.Equal(cards[0].Cert.Raw, card.Cert.Raw) {
		t.Errorf("second LoadOrCreate has %d cards, want the 1 saved card", len(cards))
	}
}

// TestLoadVersion1 loads a directory saved before the GCA, XCA and HCA
// intermediates existed: LoadOrCreate makes them and saves the directory
// again, keeping the root, the old intermediates and the cards.
func TestLoadVersion1(t *testing.T) {
	ca, err := devca.NewCA(devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	biz, err := ca.IssueBusiness("04595257", "測試股份有限公司", now, now.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "ca")
	if err := ca.Save(dir); err != nil {
		t.Fatal(err)
	}
	// Make it look like version 1.
	for _, k := range []string{devca.KindGCA, devca.KindXCA, devca.KindHCA} {
		f := devca.CACertFile(k)
		for _, name := range []string{f, strings.TrimSuffix(f, ".pem") + "-key.pem"} {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	mpath := filepath.Join(dir, devca.ManifestFile)
	js, err := os.ReadFile(mpath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mpath, []byte(strings.Replace(string(js), `"version": 2`, `"version": 1`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}

	got, err := devca.LoadOrCreate(dir, devca.Options{})
	if err != nil {
		t.Fatalf("LoadOrCreate of a version 1 directory: %v", err)
	}
	if !got.Root.Cert.Equal(ca.Root.Cert) || !got.Business.Cert.Equal(ca.Business.Cert) || len(got.Cards()) != 1 || !got.Cards()[0].Cert.Equal(biz.Cert) {
		t.Fatal("the root, the business intermediate or the card changed")
	}
	for _, k := range []string{devca.KindGCA, devca.KindXCA, devca.KindHCA} {
		in, err := got.Intermediate(k)
		if err != nil || in.Cert.CheckSignatureFrom(got.Root.Cert) != nil {
			t.Fatalf("%s intermediate: %v", k, err)
		}
		if _, err := os.Stat(filepath.Join(dir, devca.CACertFile(k))); err != nil {
			t.Errorf("%s intermediate not saved: %v", k, err)
		}
	}
	again, err := devca.Load(dir)
	if err != nil || !again.GCA.Cert.Equal(got.GCA.Cert) {
		t.Fatalf("Load after the upgrade: %v", err)
	}
}
