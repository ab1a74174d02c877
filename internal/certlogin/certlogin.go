// Package certlogin verifies, on the server, a certificate-card login: the
// card's certificate and the signature it made over the login challenge.
//
// The login works as Web eID does. The server issues a random nonce; the
// local card agent has the card sign agent.Digest(origin, nonce), where
// origin is the page's origin taken from the browser's Origin header; the
// page posts the certificate, the chain the card holds, the algorithm and
// the signature back. Verify then checks, in this order, that the input is
// well formed, that the certificate chains to the configured roots (never
// the system's), that every certificate in the chain is valid now, that the
// certificate may make signatures (digitalSignature), that it is not
// revoked according to the CRL of its issuer (loaded with AddCRL, or stored
// by a background job and looked up through a CRLStore), and that the
// signature is over this server's origin and this nonce.
//
// Verify does not know whether the nonce is fresh: the caller must issue
// it, keep it on the server, accept it once and let it expire. The caller
// must also pass its own origin, never one taken from the request.
//
// Use one Verifier per card kind (Kind), with only that kind's issuing CA
// as root (MOEACA, GCA, XCA or HCA for units' certificates, MOICA for
// clerks' 自然人憑證), so that a card of one kind is never taken for
// another: UnitVerifiers tells which unit kind a certificate is by the
// anchor it chains to, and UnitID then reads that kind's identifier from
// that kind's field (the 統一編號, an agency's or organization's
// identifier, the 醫事機構代碼); IDSuffixFromCert reads the last 4 digits
// of the national ID from a citizen certificate. docs/certificates.md
// says which field each kind carries.
//
// Every rejection is one of the exported *apperr.Error values (code
// apperr.Unauthorized, message for the clerk in Traditional Chinese),
// possibly wrapped with technical detail for the log; test with errors.Is
// and show apperr.As(err).Message.
package certlogin

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/multicert/multicert/internal/agent"
	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/twid"
)

// Reasons a login certificate or signature is refused.
var (
	// ErrMalformed: the certificate, chain, signature or algorithm cannot
	// be read or is not supported.
	ErrMalformed = apperr.New(apperr.Unauthorized, "無法讀取憑證卡送出的憑證或簽章資料，請重新插入憑證卡後再試一次")
	// ErrUntrusted: the certificate was not issued by a CA this system trusts.
	ErrUntrusted = apperr.New(apperr.Unauthorized, "此憑證不是由本系統信任的憑證機構所簽發，無法登入，請確認使用的是正確的憑證卡")
	// ErrExpired: the certificate (or a CA certificate above it) has expired.
	ErrExpired = apperr.New(apperr.Unauthorized, "憑證已過期，請使用有效的憑證卡")
	// ErrNotYetValid: the certificate is not valid yet.
	ErrNotYetValid = apperr.New(apperr.Unauthorized, "憑證尚未生效，請於生效日後再使用，或改用其他有效的憑證卡")
	// ErrRevoked: the issuer's CRL lists the certificate.
	ErrRevoked = apperr.New(apperr.Unauthorized, "此憑證已被廢止或停用，無法登入，請洽憑證管理中心辦理")
	// ErrCRLStale: the revocation status cannot be checked now (the CRL is
	// out of date, or none is loaded when one is required); fails closed.
	ErrCRLStale = apperr.New(apperr.Unauthorized, "目前無法確認憑證是否已被廢止，暫時無法以憑證登入，請稍後再試或聯絡系統管理員")
	// ErrKeyUsage: the certificate may not be used for signing, e.g. the
	// encryption certificate on the card was chosen.
	ErrKeyUsage = apperr.New(apperr.Unauthorized, "此憑證不能用於簽章登入，請改用憑證卡中的簽章用憑證")
	// ErrBadSignature: the signature does not match the certificate, this
	// site or this login attempt.
	ErrBadSignature = apperr.New(apperr.Unauthorized, "憑證簽章驗證失敗，請重新整理頁面後再登入一次")
	// ErrNotBusinessCert: the subject carries no valid 統一編號.
	ErrNotBusinessCert = apperr.New(apperr.Unauthorized, "此憑證不是工商憑證，讀不到統一編號，請使用貴單位的工商憑證卡")
	// ErrNotCitizenCert: the subject carries no national ID suffix.
	ErrNotCitizenCert = apperr.New(apperr.Unauthorized, "此憑證不是自然人憑證，請使用您本人的自然人憑證卡")
)

// errOrigin is a server configuration error, not the user's fault.
var errOrigin = apperr.New(apperr.Internal, "系統設定錯誤，暫時無法以憑證登入，請聯絡系統管理員")

// Signature algorithm names, as in agent.Signature.Algorithm.
const (
	AlgRSA   = "RSA-PKCS1v15-SHA256"
	AlgECDSA = "ECDSA-SHA256"
)

// maxChain bounds the intermediates a client may send.
const maxChain = 4

// Input is what the login page posts back from the card agent.
type Input struct {
	CertDER   []byte   // the card's certificate (agent.Signature.Certificate)
	Chain     [][]byte // intermediates the card holds, DER (agent.Signature.Chain); may be empty
	Origin    string   // this server's own origin, e.g. "https://portal.example"; never from the request
	Nonce     []byte   // the nonce this server issued for this login
	Signature []byte   // agent.Signature.Signature
	Algorithm string   // AlgRSA or AlgECDSA
}

// Verifier checks login certificates against a fixed set of CAs and the
// CRLs loaded into it, or those of a CRLStore. Create it with NewVerifier
// and set RequireCRL, CRLs and Now before first use; Verify and AddCRL may
// then be called concurrently.
type Verifier struct {
	// RequireCRL refuses (ErrCRLStale) certificates whose issuer has no CRL
	// loaded. Without it, revocation is checked only where a CRL is loaded.
	RequireCRL bool
	// CRLs, when set, is where revocation is looked up instead of the CRLs
	// added with AddCRL: the lists a background job stored (see CheckCRL).
	// An issuer without a stored list, or with a stale one, is refused
	// with ErrCRLStale whatever RequireCRL says: the store is used when
	// CRLs are configured, and a list not loaded yet must not let every
	// certificate through.
	CRLs CRLStore
	// Now returns the time to check validity at; nil means time.Now.
	Now func() time.Time

	roots   *x509.CertPool
	anchors []*x509.Certificate
	inters  *x509.CertPool
	issuers []*x509.Certificate // roots and intermediates, for CRL signatures

	mu   sync.RWMutex
	crls map[string]*crl // by issuerKey of the CA that signed the CRL
}

// crl is a loaded, signature-checked CRL.
type crl struct {
	thisUpdate, nextUpdate time.Time
	revoked                map[string]struct{} // serial numbers, decimal
}

// NewVerifier returns a Verifier that trusts exactly roots, and uses
// intermediates (and those sent with each login) to build chains to them.
func NewVerifier(roots, intermediates []*x509.Certificate) *Verifier {
	v := &Verifier{roots: x509.NewCertPool(), inters: x509.NewCertPool(), crls: map[string]*crl{}}
	for _, c := range roots {
		v.roots.AddCert(c)
		v.anchors = append(v.anchors, c)
		v.issuers = append(v.issuers, c)
	}
	for _, c := range intermediates {
		v.inters.AddCert(c)
		v.issuers = append(v.issuers, c)
	}
	return v
}

// issuerKey identifies a CA by name and key, so that a CRL applies only to
// certificates issued under the key that signed it.
func issuerKey(c *x509.Certificate) string {
	return string(c.RawSubject) + "\x00" + string(c.RawSubjectPublicKeyInfo)
}

// AddCRL loads a DER CRL into memory. Its signature must verify with one
// of the Verifier's roots or intermediates (see CheckCRL), and it replaces
// that CA's previous CRL unless it is older (an earlier thisUpdate), which
// is refused. The errors are for the operator's log.
func (v *Verifier) AddCRL(der []byte) error {
	checked, err := v.CheckCRL(der)
	if err != nil {
		return err
	}
	list, signers := checked.List, checked.Signers
	entry := &crl{thisUpdate: list.ThisUpdate, nextUpdate: list.NextUpdate, revoked: make(map[string]struct{}, len(list.RevokedCertificateEntries))}
	for _, e := range list.RevokedCertificateEntries {
		entry.revoked[e.SerialNumber.String()] = struct{}{}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.crls == nil {
		v.crls = map[string]*crl{}
	}
	for _, s := range signers {
		if old := v.crls[issuerKey(s)]; old != nil && list.ThisUpdate.Before(old.thisUpdate) {
			return fmt.Errorf("certlogin: CRL of %q from %v is older than the loaded one from %v", list.Issuer, list.ThisUpdate, old.thisUpdate)
		}
	}
	for _, s := range signers {
		v.crls[issuerKey(s)] = entry
	}
	return nil
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// fail wraps sentinel with technical detail for the log; errors.Is and
// apperr.As still find sentinel.
func fail(sentinel *apperr.Error, detail error) error {
	if detail == nil {
		return sentinel
	}
	return fmt.Errorf("%w (%v)", sentinel, detail)
}

// VerifyCertificate checks a certificate read from a card, without a
// signature: well formed, chaining to the roots, valid now, allowed to
// sign (digitalSignature), not revoked. Verify does this first; the
// portal's 單位憑證變更作業 uses it alone, to check a new certificate
// before binding it. The error is one of the exported Err values.
func (v *Verifier) VerifyCertificate(ctx context.Context, certDER []byte, chainDER [][]byte) (*x509.Certificate, error) {
	if v.roots == nil {
		// A zero Verifier; with nil Roots x509 would use the system pool.
		return nil, fail(ErrUntrusted, errors.New("verifier has no roots; use NewVerifier"))
	}
	now := v.now()
	leaf, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, fail(ErrMalformed, err)
	}
	if len(chainDER) > maxChain {
		return nil, fail(ErrMalformed, fmt.Errorf("%d chain certificates, at most %d", len(chainDER), maxChain))
	}
	inters := v.inters
	if len(chainDER) > 0 {
		inters = v.inters.Clone()
		for _, der := range chainDER {
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return nil, fail(ErrMalformed, err)
			}
			inters.AddCert(c)
		}
	}

	// Chain to the configured roots. Trust is established at a time inside
	// the leaf's validity, so that an untrusted certificate is reported as
	// untrusted even when it is also expired; validity at now comes next.
	at := now
	if at.Before(leaf.NotBefore) {
		at = leaf.NotBefore
	} else if at.After(leaf.NotAfter) {
		at = leaf.NotAfter
	}
	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots:         v.roots,
		Intermediates: inters,
		CurrentTime:   at,
		// Real cards' extended key usages are not uniform; digitalSignature
		// (below) is what a login needs.
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return nil, fail(ErrUntrusted, err)
	}
	chain := chains[0]
	if len(chain) < 2 {
		// The certificate is itself one of the roots.
		return nil, fail(ErrUntrusted, errors.New("a root certificate cannot log in"))
	}

	// Validity now, for every certificate in the chain.
	for _, c := range chain {
		if now.Before(c.NotBefore) {
			return nil, fail(ErrNotYetValid, fmt.Errorf("%q valid from %v", c.Subject, c.NotBefore))
		}
		if now.After(c.NotAfter) {
			return nil, fail(ErrExpired, fmt.Errorf("%q expired %v", c.Subject, c.NotAfter))
		}
	}

	// Key usage.
	if leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 || leaf.IsCA {
		return nil, fail(ErrKeyUsage, fmt.Errorf("key usage %b, CA %v", leaf.KeyUsage, leaf.IsCA))
	}

	// Revocation, by the CRL of the CA that issued the leaf.
	if err := v.checkRevocation(ctx, leaf, chain[1], now); err != nil {
		return nil, err
	}
	return leaf, nil
}

// Verify checks a login and returns the card's certificate. The error is
// one of the exported Err values, possibly wrapped.
//
// The chain is built at the current time, or, when the certificate is not
// valid now, at the nearest end of its validity period; only then is every
// certificate of the chain checked against the current time. So an expired
// certificate from a trusted CA gives ErrExpired, while one from an
// unknown CA gives ErrUntrusted. A chain whose CA certificates were not
// valid at that instant (a leaf that outlives, or predates, its CA) gives
// ErrUntrusted.
func (v *Verifier) Verify(ctx context.Context, in Input) (*x509.Certificate, error) {
	// Parse.
	if in.Algorithm != AlgRSA && in.Algorithm != AlgECDSA {
		return nil, fail(ErrMalformed, fmt.Errorf("unsupported algorithm %q", in.Algorithm))
	}
	if len(in.Nonce) == 0 || len(in.Signature) == 0 {
		return nil, fail(ErrMalformed, errors.New("empty nonce or signature"))
	}
	origin, err := agent.ParseOrigin(in.Origin)
	if err != nil {
		return nil, fail(errOrigin, err)
	}
	leaf, err := v.VerifyCertificate(ctx, in.CertDER, in.Chain)
	if err != nil {
		return nil, err
	}

	// Signature over this origin and nonce.
	digest := agent.Digest(origin, in.Nonce)
	switch in.Algorithm {
	case AlgRSA:
		pub, ok := leaf.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, fail(ErrMalformed, fmt.Errorf("algorithm %s with a %T key", in.Algorithm, leaf.PublicKey))
		}
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, in.Signature); err != nil {
			return nil, fail(ErrBadSignature, err)
		}
	case AlgECDSA:
		pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
		if !ok {
			return nil, fail(ErrMalformed, fmt.Errorf("algorithm %s with a %T key", in.Algorithm, leaf.PublicKey))
		}
		if !verifyECDSA(pub, digest, in.Signature) {
			return nil, ErrBadSignature
		}
	}
	return leaf, nil
}

func (v *Verifier) checkRevocation(ctx context.Context, leaf, issuer *x509.Certificate, now time.Time) error {
	if v.CRLs != nil {
		return v.checkStored(ctx, leaf, issuer, now)
	}
	v.mu.RLock()
	entry := v.crls[issuerKey(issuer)]
	v.mu.RUnlock()
	if entry == nil {
		if v.RequireCRL {
			return fail(ErrCRLStale, fmt.Errorf("no CRL loaded for %q", issuer.Subject))
		}
		return nil
	}
	if stale(entry.nextUpdate, now) {
		return fail(ErrCRLStale, fmt.Errorf("CRL of %q was due %v", issuer.Subject, entry.nextUpdate))
	}
	if _, ok := entry.revoked[leaf.SerialNumber.String()]; ok {
		return ErrRevoked
	}
	return nil
}

// verifyECDSA accepts both encodings a card agent may return: the raw
// r||s of PKCS#11 (CKM_ECDSA) and Web eID, and ASN.1 DER.
func verifyECDSA(pub *ecdsa.PublicKey, digest, sig []byte) bool {
	size := (pub.Curve.Params().BitSize + 7) / 8
	if len(sig) == 2*size {
		r := new(big.Int).SetBytes(sig[:size])
		s := new(big.Int).SetBytes(sig[size:])
		if ecdsa.Verify(pub, digest, r, s) {
			return true
		}
	}
	return ecdsa.VerifyASN1(pub, digest, sig)
}

// BANFromCert returns the 統一編號 of a 工商憑證: the Subject Directory
// Attributes' 2.16.886.1.100.2.101 or the subject's serialNumber (both
// must agree when both are there), which must be 8 digits with a valid
// checksum (twid.CheckBAN). Otherwise the error is ErrNotBusinessCert.
func BANFromCert(c *x509.Certificate) (string, error) {
	s, err := oneValue(c, OIDUniformOrganizationID, true)
	if err != nil {
		return "", fail(ErrNotBusinessCert, err)
	}
	if err := twid.CheckBAN(s); err != nil {
		return "", fail(ErrNotBusinessCert, err)
	}
	return s, nil
}

// IDSuffixFromCert returns the last 4 digits of the holder's national ID
// from a 自然人憑證: the Subject Directory Attributes' 2.16.886.1.100.2.51
// or the subject's serialNumber (both must agree when both are there),
// which must be exactly 4 digits. Otherwise the error is
// ErrNotCitizenCert. Match it with the last 4 characters of the ID on
// file; it does not identify a person by itself.
func IDSuffixFromCert(c *x509.Certificate) (string, error) {
	s, err := oneValue(c, OIDIDSuffix, true)
	if err != nil {
		return "", fail(ErrNotCitizenCert, err)
	}
	if len(s) != 4 || strings.Trim(s, "0123456789") != "" {
		return "", fail(ErrNotCitizenCert, fmt.Errorf("serialNumber %q is not 4 digits", s))
	}
	return s, nil
}

// IssuerSerial returns the strings stored to bind a certificate to an
// account, in the same form as agent.NewCertData gives CertData.Issuer and
// CertData.Serial: the issuer's distinguished name as
// pkix.Name.String() writes it, and the serial number in lower-case
// hexadecimal without leading zeros.
func IssuerSerial(c *x509.Certificate) (issuer, serial string) {
	return c.Issuer.String(), c.SerialNumber.Text(16)
}
