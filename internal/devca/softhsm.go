package devca

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// ErrToolMissing reports that softhsm2-util, pkcs11-tool or the SoftHSM2
// PKCS#11 module is not installed (Debian: apt-get install softhsm2 opensc).
var ErrToolMissing = errors.New("devca: SoftHSM2 tools not installed")

// ModuleEnv names an environment variable that, when set, is the path of
// the SoftHSM2 PKCS#11 module, overriding the well-known locations.
const ModuleEnv = "MULTICERT_SOFTHSM_MODULE"

// moduleCandidates are where distributions install the SoftHSM2 module.
var moduleCandidates = []string{
	"/usr/lib/softhsm/libsofthsm2.so",                  // Debian, Ubuntu
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so", // Debian multiarch
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib64/pkcs11/libsofthsm2.so",         // Fedora, RHEL
	"/usr/local/lib/softhsm/libsofthsm2.so",    // built from source
	"/opt/homebrew/lib/softhsm/libsofthsm2.so", // Homebrew
}

// SoftHSMConfig is a private SoftHSM2 token store and the tools that work on
// it. Every command runs with SOFTHSM2_CONF=ConfPath, so tokens created here
// never touch the system's token store.
type SoftHSMConfig struct {
	ConfPath string // the softhsm2.conf file
	TokenDir string // directories.tokendir in ConfPath
	Module   string // the SoftHSM2 PKCS#11 module, for pkcs11-tool --module
	Util     string // softhsm2-util executable
	Tool     string // pkcs11-tool executable (OpenSC)
}

// NewSoftHSMConfig makes a fresh directory inside dir holding a token
// directory and a softhsm2.conf that points to it, and locates the tools
// (on PATH) and the module (ModuleEnv, then well-known locations). It fails
// only when it cannot write the files; use Check to see whether the tools
// are installed.
func NewSoftHSMConfig(dir string) (SoftHSMConfig, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return SoftHSMConfig{}, fmt.Errorf("devca: softhsm: %w", err)
	}
	base, err := os.MkdirTemp(dir, "softhsm-")
	if err != nil {
		return SoftHSMConfig{}, fmt.Errorf("devca: softhsm: %w", err)
	}
	cfg := SoftHSMConfig{
		ConfPath: filepath.Join(base, "softhsm2.conf"),
		TokenDir: filepath.Join(base, "tokens"),
	}
	if err := os.Mkdir(cfg.TokenDir, 0o700); err != nil {
		return SoftHSMConfig{}, fmt.Errorf("devca: softhsm: %w", err)
	}
	conf := "# SoftHSM2 configuration for a private development token store.\n" +
		"directories.tokendir = " + cfg.TokenDir + "\n" +
		"objectstore.backend = file\n" +
		"log.level = ERROR\n" +
		"slots.removable = false\n"
	if err := os.WriteFile(cfg.ConfPath, []byte(conf), 0o600); err != nil {
		return SoftHSMConfig{}, fmt.Errorf("devca: softhsm: %w", err)
	}
	cfg.Util, _ = exec.LookPath("softhsm2-util")
	cfg.Tool, _ = exec.LookPath("pkcs11-tool")
	cfg.Module = os.Getenv(ModuleEnv)
	if cfg.Module == "" {
		for _, m := range moduleCandidates {
			if _, err := os.Stat(m); err == nil {
				cfg.Module = m
				break
			}
		}
	}
	return cfg, nil
}

// Check reports, wrapping ErrToolMissing, whether a tool or the module is
// missing.
func (c SoftHSMConfig) Check() error {
	switch {
	case c.Util == "":
		return fmt.Errorf("%w: softhsm2-util not found on PATH", ErrToolMissing)
	case c.Tool == "":
		return fmt.Errorf("%w: pkcs11-tool not found on PATH", ErrToolMissing)
	case c.Module == "":
		return fmt.Errorf("%w: libsofthsm2.so not found (set %s)", ErrToolMissing, ModuleEnv)
	}
	if _, err := os.Stat(c.Module); err != nil {
		return fmt.Errorf("%w: module: %v", ErrToolMissing, err)
	}
	return nil
}

// Environ is the environment the tools run with: the current one plus
// SOFTHSM2_CONF.
func (c SoftHSMConfig) Environ() []string {
	return append(os.Environ(), "SOFTHSM2_CONF="+c.ConfPath)
}

// KeyID is the PKCS#11 CKA_ID ImportSoftHSM gives a card's key and
// certificate: the certificate's subject key identifier.
func KeyID(cert *x509.Certificate) ([]byte, error) {
	if len(cert.SubjectKeyId) > 0 {
		return cert.SubjectKeyId, nil
	}
	return subjectKeyID(cert.PublicKey)
}

// ImportSoftHSM initialises a new token labelled tokenLabel in the first
// free slot of cfg's store and puts card's private keys and certificates on
// it (Card.Certs, in that order), each with CKA_LABEL tokenLabel and CKA_ID
// KeyID of its certificate:
//
//	softhsm2-util --init-token --free --label L --pin PIN --so-pin SO
//	softhsm2-util --import KEY.pem --token L --label L --id ID --pin PIN
//	pkcs11-tool --module M --token-label L --login --pin PIN \
//	    --write-object CERT.der --type cert --id ID --label L
//
// The PINs travel on the command lines, where other local users can see
// them (ps): acceptable for development and test tokens only, never for
// real cards. They are never logged, and are masked in returned errors.
// The key is written unencrypted to a 0600 file next to cfg.ConfPath for the
// duration of the import. Token labels must be unique within a store.
func ImportSoftHSM(ctx context.Context, cfg SoftHSMConfig, card *Card, tokenLabel, userPIN, soPIN string) error {
	if err := cfg.Check(); err != nil {
		return err
	}
	if tokenLabel == "" || userPIN == "" || soPIN == "" {
		return errors.New("devca: softhsm: token label and PINs must not be empty")
	}
	work, err := os.MkdirTemp(filepath.Dir(cfg.ConfPath), "import-")
	if err != nil {
		return fmt.Errorf("devca: softhsm: %w", err)
	}
	defer os.RemoveAll(work)
	secrets := []string{userPIN, soPIN}
	if _, err := cfg.run(ctx, secrets, "--init-token", cfg.Util, "--init-token", "--free", "--label", tokenLabel, "--pin", userPIN, "--so-pin", soPIN); err != nil {
		return err
	}
	// In the card's order: on a two-certificate card the encryption
	// certificate comes first, so that a signer taking the first one fails.
	for i, cc := range card.Certs() {
		id, err := KeyID(cc.Cert)
		if err != nil {
			return err
		}
		hexID := hex.EncodeToString(id)
		pk, err := x509.MarshalPKCS8PrivateKey(cc.Key)
		if err != nil {
			return fmt.Errorf("devca: softhsm: %w", err)
		}
		keyFile := filepath.Join(work, fmt.Sprintf("key%d.pem", i))
		if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600); err != nil {
			return fmt.Errorf("devca: softhsm: %w", err)
		}
		certFile := filepath.Join(work, fmt.Sprintf("cert%d.der", i))
		if err := os.WriteFile(certFile, cc.Cert.Raw, 0o600); err != nil {
			return fmt.Errorf("devca: softhsm: %w", err)
		}
		steps := []struct {
			op   string
			args []string
		}{
			{"--import", []string{cfg.Util, "--import", keyFile, "--token", tokenLabel, "--label", tokenLabel, "--id", hexID, "--pin", userPIN}},
			{"--write-object", []string{cfg.Tool, "--module", cfg.Module, "--token-label", tokenLabel, "--login", "--pin", userPIN,
				"--write-object", certFile, "--type", "cert", "--id", hexID, "--label", tokenLabel}},
		}
		for _, s := range steps {
			if _, err := cfg.run(ctx, secrets, s.op, s.args[0], s.args[1:]...); err != nil {
				return err
			}
		}
	}
	return nil
}

// run runs a tool with cfg's environment. Errors name the tool and op only,
// never the arguments, and mask every secret in the tool's output.
func (c SoftHSMConfig) run(ctx context.Context, secrets []string, op, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = c.Environ()
	out, err := cmd.CombinedOutput()
	if err != nil {
		for _, s := range secrets {
			if s != "" {
				out = bytes.ReplaceAll(out, []byte(s), []byte("***"))
			}
		}
		return out, fmt.Errorf("devca: %s %s: %v: %s", filepath.Base(name), op, err, bytes.TrimSpace(out))
	}
	return out, nil
}
