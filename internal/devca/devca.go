// Package devca is multicert's own certificate authority for development,
// tests and the demo. It imitates the two kinds of certificate card the
// portal accepts: the 工商憑證 (business certificate card issued by the
// MOEA CA, used by insured units) and the 自然人憑證 (citizen certificate
// card issued by MOICA, used by clerks).
//
// A CA is a self-signed root with two intermediates, one per card kind.
// Every key it generates is RSA (2048 bits unless Options.KeyBits asks for
// more), as on real HiCOS cards; IssueWith also takes a caller's key, e.g.
// ECDSA. Cards issued here keep their private key in memory or in
// a PEM file; ImportSoftHSM copies a card into a SoftHSM2 token so that the
// PKCS#11 code path can be exercised without a physical card.
//
// Where the identifiers sit in the certificate subject (package certlogin
// reads them back):
//
//   - business card: the 統一編號 (8 digits) is the subject's serialNumber
//     attribute (OID 2.5.4.5), e.g. C=TW, O=<company>, CN=<company>,
//     serialNumber=04595257. It is not repeated anywhere else.
//   - citizen card: the subject's serialNumber attribute carries only the
//     last 4 digits of the national ID (e.g. "6789"), the way MOICA
//     certificates carry only a suffix of the ID, never the whole number:
//     C=TW, CN=<name>, serialNumber=6789.
//
// Nothing in this package is fit for production: the keys are software keys
// and the files written by Save are protected only by file permissions.
package devca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"
)

// Card kinds: the same strings as the card agent's card types
// (agent.CardBusinessCert and agent.CardCitizenCert). They are spelled out
// here so that this package does not depend on the agent.
const (
	KindBusiness = "business_cert" // 工商憑證
	KindCitizen  = "citizen_cert"  // 自然人憑證
)

// Signature algorithm names, as in agent.Signature.Algorithm.
const (
	AlgRSA   = "RSA-PKCS1v15-SHA256"
	AlgECDSA = "ECDSA-SHA256"
)

// MinKeyBits is the smallest RSA key size the package generates.
const MinKeyBits = 2048

// Distinguished-name parts of the development CA.
const (
	orgName          = "multicert 開發測試"
	rootCN           = "multicert 開發測試 根憑證 CA"
	businessOU       = "工商憑證（測試）"
	businessCN       = "multicert 開發測試 工商憑證 CA"
	citizenOU        = "自然人憑證（測試）"
	citizenCN        = "multicert 開發測試 自然人憑證 CA"
	rootValidity     = 20 * 365 * 24 * time.Hour
	interValidity    = 10 * 365 * 24 * time.Hour
	caBackdate       = 24 * time.Hour
	businessCRLFile  = "business.crl"
	citizenCRLFile   = "citizen.crl"
	cardSerialLen    = 16 // bytes of the card serial on a HiCOS card
	businessCardPref = "MOEA"
	citizenCardPref  = "TP"
)

// Options tune NewCA.
type Options struct {
	// KeyBits is the RSA key size for every key the CA generates; 0 means
	// 2048. Sizes below MinKeyBits are refused: generating a 2048-bit key
	// takes about 0.1 s, which is fast enough for tests.
	KeyBits int
	// NotBefore is when the root and intermediates become valid; zero
	// means a day ago. Tests that issue certificates which expired long ago
	// set it earlier, so that, as with a real CA, every leaf's validity lies
	// within its CA's.
	NotBefore time.Time
	// CRLBaseURL, when not empty, puts a CRL distribution point in every
	// leaf certificate: CRLBaseURL + "/business.crl" or "/citizen.crl".
	CRLBaseURL string
}

func (o Options) keyBits() (int, error) {
	if o.KeyBits == 0 {
		return MinKeyBits, nil
	}
	if o.KeyBits < MinKeyBits {
		return 0, fmt.Errorf("devca: RSA key size %d is below the minimum %d", o.KeyBits, MinKeyBits)
	}
	return o.KeyBits, nil
}

// KeyPair is a certificate and its private key.
type KeyPair struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// Card is an issued certificate card: the certificate, its private key and
// the card's own serial number.
type Card struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	// TokenSerial is the card's own number: "TP" followed by 14 digits for
	// citizen cards (as on MOICA cards), "MOEA" followed by 12 digits for
	// business cards (a made-up card-number-like format).
	TokenSerial string
	// Kind is KindBusiness or KindCitizen.
	Kind string
	// Holder is the 統一編號 for a business card and the full national ID
	// for a citizen card. The certificate itself carries only the ID's last
	// 4 digits; the full ID is kept for the demo's manifest.
	Holder string
	// Issuer is the intermediate certificate that signed Cert.
	Issuer *x509.Certificate
}

// Sign signs digest (a SHA-256 hash, normally agent.Digest(origin, nonce))
// with the card's key, as the card agent would, and returns the algorithm
// name for agent.Signature.Algorithm with the signature: PKCS#1 v1.5 for
// RSA keys (AlgRSA), ASN.1 DER for ECDSA keys (AlgECDSA).
func (c *Card) Sign(digest []byte) (algorithm string, sig []byte, err error) {
	switch c.Key.Public().(type) {
	case *rsa.PublicKey:
		algorithm = AlgRSA
	case *ecdsa.PublicKey:
		algorithm = AlgECDSA
	default:
		return "", nil, fmt.Errorf("devca: unsupported key type %T", c.Key.Public())
	}
	if sig, err = c.Key.Sign(rand.Reader, digest, crypto.SHA256); err != nil {
		return "", nil, fmt.Errorf("devca: sign: %w", err)
	}
	return algorithm, sig, nil
}

// CA is a development root with one intermediate per card kind, and the
// cards issued so far. Its methods are safe for concurrent use.
type CA struct {
	Root     KeyPair
	Business KeyPair // intermediate for 工商憑證
	Citizen  KeyPair // intermediate for 自然人憑證

	opts  Options
	mu    sync.Mutex
	cards []*Card
}

// NewCA creates a fresh root and the two intermediates, valid from
// opts.NotBefore (default a day ago) for 20 (root) and 10 (intermediates)
// years. Every call makes new keys,
// so a second CA is a convenient untrusted CA for negative tests, even
// though its names are the same.
func NewCA(opts Options) (*CA, error) {
	bits, err := opts.keyBits()
	if err != nil {
		return nil, err
	}
	start := opts.NotBefore
	if start.IsZero() {
		start = time.Now().Add(-caBackdate)
	}
	rootKey, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, fmt.Errorf("devca: root key: %w", err)
	}
	rootTmpl := &x509.Certificate{
		Subject:               pkix.Name{Country: []string{"TW"}, Organization: []string{orgName}, CommonName: rootCN},
		NotBefore:             start,
		NotAfter:              start.Add(rootValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	root, err := create(rootTmpl, nil, rootKey, rootKey)
	if err != nil {
		return nil, fmt.Errorf("devca: root certificate: %w", err)
	}
	ca := &CA{Root: KeyPair{root, rootKey}, opts: opts}
	for _, in := range []struct {
		dst    *KeyPair
		ou, cn string
	}{{&ca.Business, businessOU, businessCN}, {&ca.Citizen, citizenOU, citizenCN}} {
		key, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			return nil, fmt.Errorf("devca: intermediate key: %w", err)
		}
		tmpl := &x509.Certificate{
			Subject: pkix.Name{
				Country:            []string{"TW"},
				Organization:       []string{orgName},
				OrganizationalUnit: []string{in.ou},
				CommonName:         in.cn,
			},
			NotBefore:             start,
			NotAfter:              start.Add(interValidity),
			KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
			BasicConstraintsValid: true,
			IsCA:                  true,
			MaxPathLen:            0,
			MaxPathLenZero:        true,
		}
		cert, err := create(tmpl, root, key, rootKey)
		if err != nil {
			return nil, fmt.Errorf("devca: intermediate %s: %w", in.cn, err)
		}
		*in.dst = KeyPair{cert, key}
	}
	return ca, nil
}

// create signs tmpl with signer under parent (nil: self-signed), filling in
// a random serial when tmpl has none.
func create(tmpl, parent *x509.Certificate, key crypto.Signer, signer crypto.Signer) (*x509.Certificate, error) {
	if tmpl.SerialNumber == nil {
		s, err := RandomSerial()
		if err != nil {
			return nil, err
		}
		tmpl.SerialNumber = s
	}
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// RandomSerial returns a positive random serial number of 128 bits (16
// bytes, the top two bits fixed so that every serial has the same length).
func RandomSerial() (*big.Int, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("devca: serial: %w", err)
	}
	b[0] = b[0]&0x3f | 0x40
	return new(big.Int).SetBytes(b[:]), nil
}

// Intermediate returns the intermediate that issues cards of kind.
func (ca *CA) Intermediate(kind string) (KeyPair, error) {
	switch kind {
	case KindBusiness:
		return ca.Business, nil
	case KindCitizen:
		return ca.Citizen, nil
	}
	return KeyPair{}, fmt.Errorf("devca: unknown card kind %q", kind)
}

// Intermediates returns both intermediate certificates.
func (ca *CA) Intermediates() []*x509.Certificate {
	return []*x509.Certificate{ca.Business.Cert, ca.Citizen.Cert}
}

// Cards returns the cards issued (or loaded) so far, oldest first.
func (ca *CA) Cards() []*Card {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	return append([]*Card(nil), ca.cards...)
}

// BusinessTemplate returns the leaf template IssueBusiness uses: subject
// C=TW, O=company, CN=company, serialNumber=ban; key usage
// digitalSignature; extended key usage clientAuth. Tests may change it and
// pass it to IssueWith.
func BusinessTemplate(ban, company string, notBefore, notAfter time.Time) *x509.Certificate {
	return &x509.Certificate{
		Subject: pkix.Name{
			Country:      []string{"TW"},
			Organization: []string{company},
			CommonName:   company,
			SerialNumber: ban,
		},
		NotBefore:   notBefore,
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
}

// CitizenTemplate returns the leaf template IssueCitizen uses: subject C=TW,
// CN=name, serialNumber=<last 4 characters of idNo>; key usage
// digitalSignature and nonRepudiation; extended key usage clientAuth.
func CitizenTemplate(name, idNo string, notBefore, notAfter time.Time) *x509.Certificate {
	return &x509.Certificate{
		Subject: pkix.Name{
			Country:      []string{"TW"},
			CommonName:   name,
			SerialNumber: idSuffix(idNo),
		},
		NotBefore:   notBefore,
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
}

func idSuffix(idNo string) string {
	if len(idNo) < 4 {
		return idNo
	}
	return idNo[len(idNo)-4:]
}

// IssueBusiness issues a 工商憑證 card for the company with 統一編號 ban.
// ban must be 8 digits; its checksum is not checked here, so tests can make
// certificates with an invalid 統一編號.
func (ca *CA) IssueBusiness(ban, company string, notBefore, notAfter time.Time) (*Card, error) {
	if len(ban) != 8 || strings.Trim(ban, "0123456789") != "" {
		return nil, fmt.Errorf("devca: 統一編號 %q is not 8 digits", ban)
	}
	if company == "" {
		return nil, errors.New("devca: company name is empty")
	}
	return ca.issue(KindBusiness, ban, BusinessTemplate(ban, company, notBefore, notAfter), nil)
}

// IssueCitizen issues a 自然人憑證 card for the person name with national ID
// idNo (10 characters; only its last 4 go into the certificate).
func (ca *CA) IssueCitizen(name, idNo string, notBefore, notAfter time.Time) (*Card, error) {
	if len(idNo) != 10 {
		return nil, fmt.Errorf("devca: national ID must be 10 characters, got %d", len(idNo))
	}
	if name == "" {
		return nil, errors.New("devca: name is empty")
	}
	return ca.issue(KindCitizen, idNo, CitizenTemplate(name, idNo, notBefore, notAfter), nil)
}

// IssueWith issues a card of kind from tmpl under that kind's intermediate,
// for negative tests: change the template's key usage, validity or subject
// as needed. tmpl's serial is filled in when nil and its subject key
// identifier is set from the key; when CRLBaseURL is configured and tmpl has
// no distribution point, one is added. key is the card's key; nil makes a
// new RSA key (pass an *ecdsa.PrivateKey to get an ECDSA card). The card's
// Holder is the subject's serialNumber.
func (ca *CA) IssueWith(kind string, tmpl *x509.Certificate, key crypto.Signer) (*Card, error) {
	return ca.issue(kind, tmpl.Subject.SerialNumber, tmpl, key)
}

func (ca *CA) issue(kind, holder string, tmpl *x509.Certificate, key crypto.Signer) (*Card, error) {
	inter, err := ca.Intermediate(kind)
	if err != nil {
		return nil, err
	}
	if key == nil {
		bits, err := ca.opts.keyBits()
		if err != nil {
			return nil, err
		}
		if key, err = rsa.GenerateKey(rand.Reader, bits); err != nil {
			return nil, fmt.Errorf("devca: card key: %w", err)
		}
	}
	if tmpl.SubjectKeyId == nil {
		ski, err := subjectKeyID(key.Public())
		if err != nil {
			return nil, err
		}
		tmpl.SubjectKeyId = ski
	}
	if ca.opts.CRLBaseURL != "" && tmpl.CRLDistributionPoints == nil {
		file := businessCRLFile
		if kind == KindCitizen {
			file = citizenCRLFile
		}
		tmpl.CRLDistributionPoints = []string{strings.TrimSuffix(ca.opts.CRLBaseURL, "/") + "/" + file}
	}
	cert, err := create(tmpl, inter.Cert, key, inter.Key)
	if err != nil {
		return nil, fmt.Errorf("devca: issue %s: %w", kind, err)
	}
	pref := businessCardPref
	if kind == KindCitizen {
		pref = citizenCardPref
	}
	ts, err := tokenSerial(pref)
	if err != nil {
		return nil, err
	}
	card := &Card{Cert: cert, Key: key, TokenSerial: ts, Kind: kind, Holder: holder, Issuer: inter.Cert}
	ca.mu.Lock()
	ca.cards = append(ca.cards, card)
	ca.mu.Unlock()
	return card, nil
}

// subjectKeyID is the SHA-1 of the subject public key bits (RFC 5280,
// 4.2.1.2, method 1). It also serves as the PKCS#11 CKA_ID on tokens.
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("devca: public key: %w", err)
	}
	var spki struct {
		Alg       pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, fmt.Errorf("devca: public key: %w", err)
	}
	h := sha1.Sum(spki.PublicKey.Bytes)
	return h[:], nil
}

// tokenSerial returns prefix followed by 14 random digits.
// tokenSerial is prefix and digits, 16 characters in all: the card serial
// a HiCOS card holds is 16 bytes.
func tokenSerial(prefix string) (string, error) {
	b := make([]byte, cardSerialLen-len(prefix))
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("devca: token serial: %w", err)
	}
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return prefix + string(b), nil
}

// CRL returns a DER certificate revocation list signed by the intermediate
// for kind, listing the revoked serials (revoked at thisUpdate). Its CRL
// number grows with thisUpdate (milliseconds since 1970).
func (ca *CA) CRL(kind string, revoked []*big.Int, thisUpdate, nextUpdate time.Time) ([]byte, error) {
	inter, err := ca.Intermediate(kind)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.RevocationList{
		Number:     big.NewInt(thisUpdate.UnixMilli()),
		ThisUpdate: thisUpdate,
		NextUpdate: nextUpdate,
	}
	for _, s := range revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: s, RevocationTime: thisUpdate})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, inter.Cert, inter.Key)
	if err != nil {
		return nil, fmt.Errorf("devca: CRL for %s: %w", kind, err)
	}
	return der, nil
}
