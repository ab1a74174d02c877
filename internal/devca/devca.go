// Package devca is multicert's own certificate authority for development,
// tests and the demo. It imitates the kinds of certificate card the portal
// accepts: the unit certificates 工商憑證 (MOEACA, companies), 政府憑證
// (GCA, government agencies), 組織及團體憑證 (XCA, schools, foundations,
// associations) and 醫事憑證 (HCA, medical institutions), used by insured
// units, and the 自然人憑證 (citizen certificate card issued by MOICA,
// used by clerks).
//
// A CA is a self-signed root with one intermediate per card kind, as the
// GPKI has one issuing CA per kind under one root: a verifier must trust
// the kind's intermediate, never the root, or every kind would chain.
// Every key it generates is RSA (2048 bits unless Options.KeyBits asks for
// more), as on real HiCOS cards; IssueWith also takes a caller's key, e.g.
// ECDSA. Cards issued here keep their private key in memory or in
// a PEM file; ImportSoftHSM copies a card into a SoftHSM2 token so that the
// PKCS#11 code path can be exercised without a physical card.
//
// Where the identifiers sit (package certlogin reads them back; see
// docs/certificates.md for what real cards carry):
//
//   - business card (MOEACA): the 統一編號 (8 digits), both in the Subject
//     Directory Attributes under 2.16.886.1.100.2.101 and as the subject's
//     serialNumber attribute (OID 2.5.4.5): C=TW, O=<company>,
//     CN=<company>, serialNumber=04595257.
//   - GCA and XCA cards: the agency's or organization's identifier in the
//     Subject Directory Attributes under 2.16.886.1.100.2.102; nothing in
//     the subject's serialNumber.
//   - HCA card: the 醫事機構代碼 (10 characters) as the subject's
//     serialNumber.
//   - citizen card: only the last 4 digits of the national ID (e.g.
//     "6789"), the way MOICA certificates carry only a suffix of the ID,
//     never the whole number, in the Subject Directory Attributes under
//     2.16.886.1.100.2.51 and as the subject's serialNumber. A card from
//     IssueCitizenPair holds two certificates, as HiCOS citizen cards do:
//     one for signatures (digitalSignature, nonRepudiation) and one for
//     encryption (keyEncipherment, dataEncipherment), the encryption one
//     first, so that a reader choosing by position rather than key usage
//     picks the wrong one.
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
	KindBusiness = "business_cert" // 工商憑證 (MOEACA)
	KindCitizen  = "citizen_cert"  // 自然人憑證 (MOICA)
	// The other unit certificates. The card agent reports them, like the
	// 工商憑證, as business_cert: a unit's certificate card.
	KindGCA = "gca_cert" // 政府憑證
	KindXCA = "xca_cert" // 組織及團體憑證
	KindHCA = "hca_cert" // 醫事憑證
)

// Kinds lists every card kind, unit kinds first.
var Kinds = []string{KindBusiness, KindGCA, KindXCA, KindHCA, KindCitizen}

// AgentType is the card type the card agent reports for a card of kind:
// citizen_cert for KindCitizen, business_cert (a unit's card) otherwise.
func AgentType(kind string) string {
	if kind == KindCitizen {
		return KindCitizen
	}
	return KindBusiness
}

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
	gcaOU            = "政府憑證（測試）"
	gcaCN            = "multicert 開發測試 政府憑證 CA"
	xcaOU            = "組織及團體憑證（測試）"
	xcaCN            = "multicert 開發測試 組織及團體憑證 CA"
	hcaOU            = "醫事憑證（測試）"
	hcaCN            = "multicert 開發測試 醫事憑證 CA"
	rootValidity     = 20 * 365 * 24 * time.Hour
	interValidity    = 10 * 365 * 24 * time.Hour
	caBackdate       = 24 * time.Hour
	cardSerialLen    = 16 // bytes of the card serial on a HiCOS card
	businessCardPref = "MOEA"
	citizenCardPref  = "TP"
)

// CRLFile is the file name of kind's CRL under Options.CRLBaseURL.
func CRLFile(kind string) string {
	switch kind {
	case KindCitizen:
		return "citizen.crl"
	case KindGCA:
		return "gca.crl"
	case KindXCA:
		return "xca.crl"
	case KindHCA:
		return "hca.crl"
	}
	return "business.crl"
}

// cardPrefix is the start of a card's token serial: "TP" on citizen cards
// (as on MOICA cards), made-up prefixes on the others.
func cardPrefix(kind string) string {
	switch kind {
	case KindCitizen:
		return citizenCardPref
	case KindGCA:
		return "GCA"
	case KindXCA:
		return "XCA"
	case KindHCA:
		return "HCA"
	}
	return businessCardPref
}

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
	// leaf certificate: CRLBaseURL + "/" + CRLFile(kind).
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
	// Kind is one of the Kind* constants.
	Kind string
	// Holder is the 統一編號 for a business card, the organization
	// identifier for GCA and XCA cards, the 醫事機構代碼 for HCA cards and
	// the full national ID for a citizen card. The certificate itself
	// carries only the ID's last 4 digits; the full ID is kept for the
	// demo's manifest.
	Holder string
	// Issuer is the intermediate certificate that signed Cert.
	Issuer *x509.Certificate
	// EncCert and EncKey are the card's encryption certificate and key, on
	// cards from IssueCitizenPair; nil on cards with one certificate.
	EncCert *x509.Certificate
	EncKey  crypto.Signer
}

// CardCert is one certificate on a card and its key.
type CardCert struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// Certs lists the card's certificates in the order the card holds them:
// the encryption certificate first when there is one, then the signing
// one (Cert). Readers must choose by key usage.
func (c *Card) Certs() []CardCert {
	if c.EncCert != nil {
		return []CardCert{{c.EncCert, c.EncKey}, {c.Cert, c.Key}}
	}
	return []CardCert{{c.Cert, c.Key}}
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
	Business KeyPair // intermediate for 工商憑證 (MOEACA)
	Citizen  KeyPair // intermediate for 自然人憑證 (MOICA)
	GCA      KeyPair // intermediate for 政府憑證
	XCA      KeyPair // intermediate for 組織及團體憑證
	HCA      KeyPair // intermediate for 醫事憑證

	opts     Options
	mu       sync.Mutex
	cards    []*Card
	upgraded bool // loaded from an older directory: LoadOrCreate saves it again
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
	for _, kind := range Kinds {
		if err := ca.newIntermediate(kind, start, bits); err != nil {
			return nil, err
		}
	}
	return ca, nil
}

// intermediateName returns the organisational unit and common name of
// kind's intermediate.
func intermediateName(kind string) (ou, cn string) {
	switch kind {
	case KindCitizen:
		return citizenOU, citizenCN
	case KindGCA:
		return gcaOU, gcaCN
	case KindXCA:
		return xcaOU, xcaCN
	case KindHCA:
		return hcaOU, hcaCN
	}
	return businessOU, businessCN
}

// newIntermediate makes kind's intermediate under the root.
func (ca *CA) newIntermediate(kind string, start time.Time, bits int) error {
	dst := ca.pair(kind)
	if dst == nil {
		return fmt.Errorf("devca: unknown card kind %q", kind)
	}
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return fmt.Errorf("devca: intermediate key: %w", err)
	}
	ou, cn := intermediateName(kind)
	tmpl := &x509.Certificate{
		Subject: pkix.Name{
			Country:            []string{"TW"},
			Organization:       []string{orgName},
			OrganizationalUnit: []string{ou},
			CommonName:         cn,
		},
		NotBefore:             start,
		NotAfter:              start.Add(interValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
	}
	if end := ca.Root.Cert.NotAfter; tmpl.NotAfter.After(end) {
		tmpl.NotAfter = end
	}
	cert, err := create(tmpl, ca.Root.Cert, key, ca.Root.Key)
	if err != nil {
		return fmt.Errorf("devca: intermediate %s: %w", cn, err)
	}
	*dst = KeyPair{cert, key}
	return nil
}

// pair returns where kind's intermediate is kept, or nil.
func (ca *CA) pair(kind string) *KeyPair {
	switch kind {
	case KindBusiness:
		return &ca.Business
	case KindCitizen:
		return &ca.Citizen
	case KindGCA:
		return &ca.GCA
	case KindXCA:
		return &ca.XCA
	case KindHCA:
		return &ca.HCA
	}
	return nil
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
	if p := ca.pair(kind); p != nil && p.Cert != nil {
		return *p, nil
	}
	return KeyPair{}, fmt.Errorf("devca: unknown card kind %q", kind)
}

// Intermediates returns every intermediate certificate, in the order of
// Kinds.
func (ca *CA) Intermediates() []*x509.Certificate {
	var out []*x509.Certificate
	for _, k := range Kinds {
		if p := ca.pair(k); p.Cert != nil {
			out = append(out, p.Cert)
		}
	}
	return out
}

// Cards returns the cards issued (or loaded) so far, oldest first.
func (ca *CA) Cards() []*Card {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	return append([]*Card(nil), ca.cards...)
}

// BusinessTemplate returns the leaf template IssueBusiness uses: subject
// C=TW, O=company, CN=company, serialNumber=ban; the 統一編號 also in the
// Subject Directory Attributes (2.16.886.1.100.2.101); key usage
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
		NotBefore:       notBefore,
		NotAfter:        notAfter,
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		ExtraExtensions: directoryAttributes(OIDUniformOrganizationID, ban),
	}
}

// The GPKI attributes of the Subject Directory Attributes extension (the
// same OIDs as package certlogin's, which this package does not import).
var (
	oidSubjectDirectoryAttributes = asn1.ObjectIdentifier{2, 5, 29, 9}
	OIDIDSuffix                   = asn1.ObjectIdentifier{2, 16, 886, 1, 100, 2, 51}
	OIDUniformOrganizationID      = asn1.ObjectIdentifier{2, 16, 886, 1, 100, 2, 101}
	OIDOrganizationID             = asn1.ObjectIdentifier{2, 16, 886, 1, 100, 2, 102}
)

// DirectoryAttributes returns a Subject Directory Attributes extension
// holding one value per pair of OID (asn1.ObjectIdentifier) and value
// (string), for a template's ExtraExtensions: a PrintableString, or a
// UTF8String when the value is not printable.
func DirectoryAttributes(pairs ...any) []pkix.Extension {
	type attr struct {
		Type   asn1.ObjectIdentifier
		Values []asn1.RawValue `asn1:"set"`
	}
	var seq []attr
	for i := 0; i+1 < len(pairs); i += 2 {
		v := pairs[i+1].(string)
		params := "printable"
		if !printable(v) {
			params = "utf8"
		}
		raw, err := asn1.MarshalWithParams(v, params)
		if err != nil {
			panic(fmt.Sprintf("devca: directory attribute %v: %v", pairs[i], err))
		}
		seq = append(seq, attr{Type: pairs[i].(asn1.ObjectIdentifier), Values: []asn1.RawValue{{FullBytes: raw}}})
	}
	der, err := asn1.Marshal(seq)
	if err != nil {
		panic(fmt.Sprintf("devca: directory attributes: %v", err))
	}
	return []pkix.Extension{{Id: oidSubjectDirectoryAttributes, Value: der}}
}

func directoryAttributes(oid asn1.ObjectIdentifier, v string) []pkix.Extension {
	return DirectoryAttributes(oid, v)
}

// OrgTemplate returns the leaf template of a GCA or XCA card: subject C=TW,
// O=name, CN=name, no serialNumber; the organization identifier orgID in
// the Subject Directory Attributes (2.16.886.1.100.2.102); key usage
// digitalSignature and nonRepudiation.
func OrgTemplate(orgID, name string, notBefore, notAfter time.Time) *x509.Certificate {
	return &x509.Certificate{
		Subject:         pkix.Name{Country: []string{"TW"}, Organization: []string{name}, CommonName: name},
		NotBefore:       notBefore,
		NotAfter:        notAfter,
		KeyUsage:        x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		ExtraExtensions: directoryAttributes(OIDOrganizationID, orgID),
	}
}

// HCATemplate returns the leaf template of an HCA institution card:
// subject C=TW, O=name, CN=name, serialNumber=code (the 醫事機構代碼); key
// usage digitalSignature and nonRepudiation.
func HCATemplate(code, name string, notBefore, notAfter time.Time) *x509.Certificate {
	return &x509.Certificate{
		Subject:     pkix.Name{Country: []string{"TW"}, Organization: []string{name}, CommonName: name, SerialNumber: code},
		NotBefore:   notBefore,
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
}

// CitizenTemplate returns the leaf template IssueCitizen uses: subject C=TW,
// CN=name, serialNumber=<last 4 characters of idNo>, the same 4 characters
// in the Subject Directory Attributes (2.16.886.1.100.2.51); key usage
// digitalSignature and nonRepudiation; extended key usage clientAuth.
func CitizenTemplate(name, idNo string, notBefore, notAfter time.Time) *x509.Certificate {
	return &x509.Certificate{
		Subject: pkix.Name{
			Country:      []string{"TW"},
			CommonName:   name,
			SerialNumber: idSuffix(idNo),
		},
		NotBefore:       notBefore,
		NotAfter:        notAfter,
		KeyUsage:        x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		ExtraExtensions: directoryAttributes(OIDIDSuffix, idSuffix(idNo)),
	}
}

// EncryptionTemplate turns a copy of a signing template into its card's
// encryption certificate: the same subject, key usage keyEncipherment and
// dataEncipherment, extended key usage emailProtection.
func EncryptionTemplate(signing *x509.Certificate) *x509.Certificate {
	t := *signing
	t.SerialNumber, t.SubjectKeyId = nil, nil
	t.KeyUsage = x509.KeyUsageKeyEncipherment | x509.KeyUsageDataEncipherment
	t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}
	return &t
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

// IssueGCA issues a 政府憑證 card for the agency name with organization
// identifier orgID (as the 2.16.886.1.100.2.102 attribute carries it).
func (ca *CA) IssueGCA(orgID, name string, notBefore, notAfter time.Time) (*Card, error) {
	return ca.issueOrg(KindGCA, orgID, name, OrgTemplate(orgID, name, notBefore, notAfter))
}

// IssueXCA issues a 組織及團體憑證 card for the organization name with
// identifier orgID.
func (ca *CA) IssueXCA(orgID, name string, notBefore, notAfter time.Time) (*Card, error) {
	return ca.issueOrg(KindXCA, orgID, name, OrgTemplate(orgID, name, notBefore, notAfter))
}

// IssueHCA issues a 醫事憑證 card for the medical institution name with
// 醫事機構代碼 code (10 digits or capital letters).
func (ca *CA) IssueHCA(code, name string, notBefore, notAfter time.Time) (*Card, error) {
	if len(code) != 10 || strings.Trim(code, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return nil, fmt.Errorf("devca: 醫事機構代碼 %q is not 10 digits or capitals", code)
	}
	return ca.issueOrg(KindHCA, code, name, HCATemplate(code, name, notBefore, notAfter))
}

func (ca *CA) issueOrg(kind, id, name string, tmpl *x509.Certificate) (*Card, error) {
	if id == "" || !printable(id) {
		return nil, fmt.Errorf("devca: identifier %q is empty or not printable", id)
	}
	if name == "" {
		return nil, errors.New("devca: name is empty")
	}
	return ca.issue(kind, id, tmpl, nil)
}

func printable(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(" '()+,-./:=?", r)) {
			return false
		}
	}
	return true
}

// IssueCitizenPair issues a 自然人憑證 card with two certificates, as on
// HiCOS citizen cards: Cert for signatures (as IssueCitizen's) and EncCert
// for encryption (EncryptionTemplate), each with its own key. The card
// holds the encryption certificate first (Card.Certs).
func (ca *CA) IssueCitizenPair(name, idNo string, notBefore, notAfter time.Time) (*Card, error) {
	c, err := ca.IssueCitizen(name, idNo, notBefore, notAfter)
	if err != nil {
		return nil, err
	}
	if err := ca.addEncryption(c); err != nil {
		return nil, err
	}
	return c, nil
}

// addEncryption gives card an encryption certificate under the same
// intermediate.
func (ca *CA) addEncryption(card *Card) error {
	inter, err := ca.Intermediate(card.Kind)
	if err != nil {
		return err
	}
	bits, err := ca.opts.keyBits()
	if err != nil {
		return err
	}
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return fmt.Errorf("devca: encryption key: %w", err)
	}
	tmpl := EncryptionTemplate(card.Cert)
	tmpl.ExtraExtensions = nil
	for _, e := range card.Cert.Extensions {
		if e.Id.Equal(oidSubjectDirectoryAttributes) {
			tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, e)
		}
	}
	if tmpl.SubjectKeyId, err = subjectKeyID(key.Public()); err != nil {
		return err
	}
	cert, err := create(tmpl, inter.Cert, key, inter.Key)
	if err != nil {
		return fmt.Errorf("devca: issue encryption certificate: %w", err)
	}
	ca.mu.Lock()
	card.EncCert, card.EncKey = cert, key
	ca.mu.Unlock()
	return nil
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
		tmpl.CRLDistributionPoints = []string{strings.TrimSuffix(ca.opts.CRLBaseURL, "/") + "/" + CRLFile(kind)}
	}
	cert, err := create(tmpl, inter.Cert, key, inter.Key)
	if err != nil {
		return nil, fmt.Errorf("devca: issue %s: %w", kind, err)
	}
	ts, err := tokenSerial(cardPrefix(kind))
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
