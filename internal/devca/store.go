package devca

import (
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Files written by Save, relative to its directory. Keys are PKCS#8 PEM
// files with mode 0600; certificates are PEM files with mode 0644.
const (
	ManifestFile       = "manifest.json"
	RootCertFile       = "root.pem"
	rootKeyFile        = "root-key.pem"
	BusinessCACertFile = "business-ca.pem"
	CitizenCACertFile  = "citizen-ca.pem"
	GCACertFile        = "gca-ca.pem"
	XCACertFile        = "xca-ca.pem"
	HCACertFile        = "hca-ca.pem"
	cardsDir           = "cards"
	// manifestVersion 2 added the GCA, XCA and HCA intermediates and
	// two-certificate cards; a version 1 directory is upgraded on load.
	manifestVersion = 2
)

// CACertFile is the file of kind's intermediate certificate in a saved CA.
func CACertFile(kind string) string {
	switch kind {
	case KindCitizen:
		return CitizenCACertFile
	case KindGCA:
		return GCACertFile
	case KindXCA:
		return XCACertFile
	case KindHCA:
		return HCACertFile
	}
	return BusinessCACertFile
}

func caKeyFile(kind string) string {
	return strings.TrimSuffix(CACertFile(kind), ".pem") + "-key.pem"
}

// Manifest is the content of manifest.json: the CA's options and the cards
// issued, so that people and scripts can find a card without parsing
// certificates. Paths are relative to the directory, with forward slashes.
type Manifest struct {
	Version    int            `json:"version"`
	KeyBits    int            `json:"keyBits"`
	CRLBaseURL string         `json:"crlBaseURL,omitempty"`
	Cards      []ManifestCard `json:"cards"`
}

// ManifestCard describes one card in the manifest.
type ManifestCard struct {
	Kind        string    `json:"kind"`
	Subject     string    `json:"subject"`
	BAN         string    `json:"ban,omitempty"`      // business cards: 統一編號
	OrgID       string    `json:"orgID,omitempty"`    // GCA and XCA cards: the organization identifier; HCA cards: the 醫事機構代碼
	IDNo        string    `json:"idNo,omitempty"`     // citizen cards: full national ID (test data)
	IDSuffix    string    `json:"idSuffix,omitempty"` // citizen cards: what the certificate carries
	TokenSerial string    `json:"tokenSerial"`
	Serial      string    `json:"serial"` // lower-case hex, as agent.CertData.Serial
	NotBefore   time.Time `json:"notBefore"`
	NotAfter    time.Time `json:"notAfter"`
	Cert        string    `json:"cert"`
	Key         string    `json:"key"`
	EncCert     string    `json:"encCert,omitempty"` // two-certificate cards: the encryption certificate
	EncKey      string    `json:"encKey,omitempty"`
}

// Save writes the CA and its cards into dir (created with mode 0700 if
// needed): root.pem, the intermediates (CACertFile of each kind) and their
// *-key.pem files, cards/<kind>-<serial>.pem and
// cards/<kind>-<serial>-key.pem per card (and -enc.pem, -enc-key.pem for an
// encryption certificate), and manifest.json last. Each file is replaced atomically, so a
// reader never sees half a file; Save is not meant to run concurrently with
// another Save or LoadOrCreate on the same directory.
func (ca *CA) Save(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, cardsDir), 0o700); err != nil {
		return fmt.Errorf("devca: save: %w", err)
	}
	bits, err := ca.opts.keyBits()
	if err != nil {
		return err
	}
	if err := writePair(dir, RootCertFile, rootKeyFile, ca.Root.Cert, ca.Root.Key); err != nil {
		return err
	}
	for _, k := range Kinds {
		p := ca.pair(k)
		if err := writePair(dir, CACertFile(k), caKeyFile(k), p.Cert, p.Key); err != nil {
			return err
		}
	}
	m := Manifest{Version: manifestVersion, KeyBits: bits, CRLBaseURL: ca.opts.CRLBaseURL, Cards: []ManifestCard{}}
	for _, c := range ca.Cards() {
		base := path.Join(cardsDir, c.Kind+"-"+serialHex(c.Cert))
		mc := ManifestCard{
			Kind:        c.Kind,
			Subject:     c.Cert.Subject.String(),
			TokenSerial: c.TokenSerial,
			Serial:      serialHex(c.Cert),
			NotBefore:   c.Cert.NotBefore.UTC(),
			NotAfter:    c.Cert.NotAfter.UTC(),
			Cert:        base + ".pem",
			Key:         base + "-key.pem",
		}
		switch c.Kind {
		case KindBusiness:
			mc.BAN = c.Holder
		case KindCitizen:
			mc.IDNo = c.Holder
			mc.IDSuffix = c.Cert.Subject.SerialNumber
		default:
			mc.OrgID = c.Holder
		}
		if err := writePair(dir, mc.Cert, mc.Key, c.Cert, c.Key); err != nil {
			return err
		}
		if c.EncCert != nil {
			mc.EncCert, mc.EncKey = base+"-enc.pem", base+"-enc-key.pem"
			if err := writePair(dir, mc.EncCert, mc.EncKey, c.EncCert, c.EncKey); err != nil {
				return err
			}
		}
		m.Cards = append(m.Cards, mc)
	}
	js, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("devca: manifest: %w", err)
	}
	return writeFile(filepath.Join(dir, ManifestFile), append(js, '\n'), 0o644)
}

func serialHex(c *x509.Certificate) string { return c.SerialNumber.Text(16) }

// writePair writes a certificate (0644) and its PKCS#8 key (0600).
func writePair(dir, certName, keyName string, cert *x509.Certificate, key crypto.Signer) error {
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("devca: save key %s: %w", keyName, err)
	}
	if err := writeFile(filepath.Join(dir, filepath.FromSlash(keyName)),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, filepath.FromSlash(certName)),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644)
}

// writeFile replaces name atomically with data and the given mode.
func writeFile(name string, data []byte, perm fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return fmt.Errorf("devca: save: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("devca: save: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("devca: save: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("devca: save: %w", err)
	}
	if err := os.Rename(tmp, name); err != nil {
		return fmt.Errorf("devca: save: %w", err)
	}
	ok = true
	return nil
}

// Load reads a CA saved by Save. It checks that every key matches its
// certificate and that every certificate is signed by its issuer, so a
// directory mixed from two CAs is refused.
func Load(dir string) (*CA, error) {
	js, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("devca: load: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(js, &m); err != nil {
		return nil, fmt.Errorf("devca: load %s: %w", ManifestFile, err)
	}
	if m.Version != manifestVersion && m.Version != 1 {
		return nil, fmt.Errorf("devca: load: manifest version %d, want %d", m.Version, manifestVersion)
	}
	ca := &CA{opts: Options{KeyBits: m.KeyBits, CRLBaseURL: m.CRLBaseURL}}
	if _, err := ca.opts.keyBits(); err != nil {
		return nil, err
	}
	if ca.Root, err = readPair(dir, RootCertFile, rootKeyFile); err != nil {
		return nil, err
	}
	if err := ca.Root.Cert.CheckSignatureFrom(ca.Root.Cert); err != nil {
		return nil, fmt.Errorf("devca: load %s: not self-signed: %w", RootCertFile, err)
	}
	for _, k := range Kinds {
		p := ca.pair(k)
		if m.Version == 1 && k != KindBusiness && k != KindCitizen {
			// Made before these kinds existed: make their intermediates now;
			// LoadOrCreate saves them.
			bits, _ := ca.opts.keyBits()
			if err := ca.newIntermediate(k, ca.Root.Cert.NotBefore, bits); err != nil {
				return nil, err
			}
			ca.upgraded = true
			continue
		}
		if *p, err = readPair(dir, CACertFile(k), caKeyFile(k)); err != nil {
			return nil, err
		}
		if err := p.Cert.CheckSignatureFrom(ca.Root.Cert); err != nil {
			return nil, fmt.Errorf("devca: load: intermediate %q not signed by the root: %w", p.Cert.Subject, err)
		}
	}
	for _, mc := range m.Cards {
		inter, err := ca.Intermediate(mc.Kind)
		if err != nil {
			return nil, err
		}
		p, err := readPair(dir, mc.Cert, mc.Key)
		if err != nil {
			return nil, err
		}
		if err := p.Cert.CheckSignatureFrom(inter.Cert); err != nil {
			return nil, fmt.Errorf("devca: load %s: not signed by the %s intermediate: %w", mc.Cert, mc.Kind, err)
		}
		holder := mc.BAN
		switch mc.Kind {
		case KindCitizen:
			holder = mc.IDNo
		case KindGCA, KindXCA, KindHCA:
			holder = mc.OrgID
		}
		card := &Card{Cert: p.Cert, Key: p.Key, TokenSerial: mc.TokenSerial, Kind: mc.Kind, Holder: holder, Issuer: inter.Cert}
		if mc.EncCert != "" {
			e, err := readPair(dir, mc.EncCert, mc.EncKey)
			if err != nil {
				return nil, err
			}
			if err := e.Cert.CheckSignatureFrom(inter.Cert); err != nil {
				return nil, fmt.Errorf("devca: load %s: not signed by the %s intermediate: %w", mc.EncCert, mc.Kind, err)
			}
			card.EncCert, card.EncKey = e.Cert, e.Key
		}
		ca.cards = append(ca.cards, card)
	}
	return ca, nil
}

// readPair reads a certificate and its PKCS#8 key and checks they match.
func readPair(dir, certName, keyName string) (KeyPair, error) {
	for _, n := range []string{certName, keyName} {
		if !filepath.IsLocal(filepath.FromSlash(n)) {
			return KeyPair{}, fmt.Errorf("devca: load: path %q leaves the directory", n)
		}
	}
	certDER, err := readPEM(filepath.Join(dir, filepath.FromSlash(certName)), "CERTIFICATE")
	if err != nil {
		return KeyPair{}, err
	}
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return KeyPair{}, fmt.Errorf("devca: load %s: %w", certName, err)
	}
	keyDER, err := readPEM(filepath.Join(dir, filepath.FromSlash(keyName)), "PRIVATE KEY")
	if err != nil {
		return KeyPair{}, err
	}
	k, err := x509.ParsePKCS8PrivateKey(keyDER)
	if err != nil {
		return KeyPair{}, fmt.Errorf("devca: load %s: %w", keyName, err)
	}
	key, ok := k.(crypto.Signer)
	if !ok {
		return KeyPair{}, fmt.Errorf("devca: load %s: key type %T cannot sign", keyName, k)
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return KeyPair{}, fmt.Errorf("devca: load: key %s does not match certificate %s", keyName, certName)
	}
	return KeyPair{Cert: cert, Key: key}, nil
}

func readPEM(name, typ string) ([]byte, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("devca: load: %w", err)
	}
	b, _ := pem.Decode(data)
	if b == nil || b.Type != typ {
		return nil, fmt.Errorf("devca: load %s: no %s PEM block", filepath.Base(name), typ)
	}
	return b.Bytes, nil
}

// LoadOrCreate loads the CA in dir, or creates one with opts and saves it
// there when dir holds no manifest yet (opts is ignored once the CA
// exists). The demo calls it at start so that the CA, and the cards it
// issued and saved, survive restarts. Two processes must not create the same
// directory at the same time; Load would refuse the mixed result.
func LoadOrCreate(dir string, opts Options) (*CA, error) {
	_, err := os.Stat(filepath.Join(dir, ManifestFile))
	if err == nil {
		ca, err := Load(dir)
		if err == nil && ca.upgraded {
			err = ca.Save(dir)
		}
		return ca, err
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("devca: %w", err)
	}
	ca, err := NewCA(opts)
	if err != nil {
		return nil, err
	}
	if err := ca.Save(dir); err != nil {
		return nil, err
	}
	return ca, nil
}
