package devca_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/devca"
	"github.com/multicert/multicert/internal/testenv"
)

func softHSM(t *testing.T) devca.SoftHSMConfig {
	t.Helper()
	cfg, err := devca.NewSoftHSMConfig(t.TempDir())
	if err != nil {
		t.Fatalf("NewSoftHSMConfig: %v", err)
	}
	if err := cfg.Check(); err != nil {
		if !errors.Is(err, devca.ErrToolMissing) {
			t.Fatalf("Check error %v does not wrap ErrToolMissing", err)
		}
		testenv.Missing(t, testenv.SoftHSM, "SoftHSM test cannot run: "+err.Error()+" (install softhsm2 and opensc)")
	}
	return cfg
}

func TestNewSoftHSMConfig(t *testing.T) {
	dir := t.TempDir()
	a, err := devca.NewSoftHSMConfig(dir)
	if err != nil {
		t.Fatalf("NewSoftHSMConfig: %v", err)
	}
	b, err := devca.NewSoftHSMConfig(dir)
	if err != nil {
		t.Fatalf("NewSoftHSMConfig: %v", err)
	}
	if a.TokenDir == b.TokenDir || a.ConfPath == b.ConfPath {
		t.Errorf("two configs share %q / %q, want fresh directories", a.TokenDir, a.ConfPath)
	}
	for _, c := range []devca.SoftHSMConfig{a, b} {
		if rel, err := filepath.Rel(dir, c.TokenDir); err != nil || strings.HasPrefix(rel, "..") {
			t.Errorf("TokenDir %q is not inside %q", c.TokenDir, dir)
		}
		conf, err := os.ReadFile(c.ConfPath)
		if err != nil {
			t.Fatal(err)
		}
		if want := "directories.tokendir = " + c.TokenDir + "\n"; !strings.Contains(string(conf), want) {
			t.Errorf("softhsm2.conf = %q, want a line %q", conf, want)
		}
		if fi, err := os.Stat(c.TokenDir); err != nil || !fi.IsDir() {
			t.Errorf("TokenDir %q is not a directory: %v", c.TokenDir, err)
		}
	}
}

func TestImportSoftHSM(t *testing.T) {
	cfg := softHSM(t)
	ca := testCA(t)
	now := time.Now()
	card, err := ca.IssueBusiness("04595257", "測試股份有限公司", now, now.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	const label, pin, soPIN = "multicert-test-biz", "123456", "12345678"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := devca.ImportSoftHSM(ctx, cfg, card, label, pin, soPIN); err != nil {
		t.Fatalf("ImportSoftHSM: %v", err)
	}
	id, err := devca.KeyID(card.Cert)
	if err != nil {
		t.Fatal(err)
	}
	hexID := hex.EncodeToString(id)

	tool := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, cfg.Tool, append([]string{"--module", cfg.Module, "--token-label", label}, args...)...)
		cmd.Env = cfg.Environ()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("pkcs11-tool %s: %v\n%s", args[len(args)-1], err, out)
		}
		return string(out)
	}
	list := tool("--login", "--pin", pin, "--list-objects")
	objs := parseObjects(list)
	for _, want := range []string{"Private Key", "Certificate"} {
		found := false
		for _, o := range objs {
			if o.class == want && o.attrs["label"] == label && o.attrs["ID"] == hexID {
				found = true
			}
		}
		if !found {
			t.Errorf("--list-objects shows no %s object with label %q and ID %s; got:\n%s", want, label, hexID, list)
		}
	}

	// The key on the token is the card's key: sign with it and verify with
	// the certificate. pkcs11-tool hashes the input for SHA256-RSA-PKCS.
	msg := []byte("multicert SoftHSM import check")
	in := filepath.Join(t.TempDir(), "msg")
	out := in + ".sig"
	if err := os.WriteFile(in, msg, 0o600); err != nil {
		t.Fatal(err)
	}
	tool("--login", "--pin", pin, "--sign", "--mechanism", "SHA256-RSA-PKCS", "--id", hexID, "-i", in, "-o", out)
	sig, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(msg)
	if err := rsa.VerifyPKCS1v15(card.Cert.PublicKey.(*rsa.PublicKey), crypto.SHA256, h[:], sig); err != nil {
		t.Errorf("signature made on the token does not verify with the card certificate: %v", err)
	}
}

func TestImportSoftHSMErrorHidesPIN(t *testing.T) {
	dir := t.TempDir()
	cfg, err := devca.NewSoftHSMConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	// A fake softhsm2-util that echoes its arguments, PINs included, and fails.
	fake := filepath.Join(dir, "fake-tool")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho \"args: $*\"\nexit 1\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg.Util, cfg.Tool, cfg.Module = fake, fake, fake
	card, err := testCA(t).IssueBusiness("04595257", "測試公司", time.Now(), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	const pin, soPIN = "user-pin-4711", "so-pin-0815"
	err = devca.ImportSoftHSM(context.Background(), cfg, card, "multicert-test", pin, soPIN)
	if err == nil {
		t.Fatalf("ImportSoftHSM with a failing tool = nil error, want an error")
	}
	msg := err.Error()
	if !strings.Contains(msg, "--init-token") || !strings.Contains(msg, "args: ") {
		t.Errorf("error %q does not name the step or carry the tool's output", msg)
	}
	for _, secret := range []string{pin, soPIN} {
		if strings.Contains(msg, secret) {
			t.Errorf("error %q reveals PIN %q", msg, secret)
		}
	}
}

// p11Object is one object in pkcs11-tool --list-objects output.
type p11Object struct {
	class string            // "Private Key", "Certificate", "Public Key", …
	attrs map[string]string // label, ID, …
}

// parseObjects parses pkcs11-tool --list-objects output: a line
// "<Class> Object; …" starts an object, indented "name: value" lines follow.
func parseObjects(out string) []p11Object {
	var objs []p11Object
	for _, line := range strings.Split(out, "\n") {
		if line == "" {
			continue
		}
		if line[0] != ' ' && line[0] != '\t' {
			if class, _, ok := strings.Cut(line, " Object;"); ok {
				objs = append(objs, p11Object{class: class, attrs: map[string]string{}})
			}
			continue
		}
		if len(objs) == 0 {
			continue
		}
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			objs[len(objs)-1].attrs[k] = strings.TrimSpace(v)
		}
	}
	return objs
}

func TestParseObjects(t *testing.T) {
	out := "Private Key Object; RSA\n  label:      L\n  ID:         0a\nCertificate Object; type = X.509 cert\n  label:      L\n  ID:         0b\n"
	got := parseObjects(out)
	want := []p11Object{{"Private Key", map[string]string{"label": "L", "ID": "0a"}}, {"Certificate", map[string]string{"label": "L", "ID": "0b"}}}
	if len(got) != len(want) {
		t.Fatalf("parseObjects gave %d objects, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].class != want[i].class || got[i].attrs["label"] != want[i].attrs["label"] || got[i].attrs["ID"] != want[i].attrs["ID"] {
			t.Errorf("object %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
