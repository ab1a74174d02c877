//go:build cgo

package p11

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
	"sync"

	"github.com/miekg/pkcs11"

	"github.com/multicert/multicert/internal/agent"
)

// sha256DigestInfo is the DER prefix of a PKCS#1 v1.5 DigestInfo for
// SHA-256 (RFC 8017, section 9.2, note 1). CKM_RSA_PKCS signs it followed by
// the digest, which makes a standard RSASSA-PKCS1-v1_5 SHA-256 signature.
var sha256DigestInfo = []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}

// Signer is a loaded PKCS#11 module. Its methods are safe for concurrent
// use; they run one at a time, since a login holds for the whole token.
type Signer struct {
	mu  sync.Mutex
	ctx *pkcs11.Ctx
}

// Open loads and initialises the PKCS#11 module modulePath: a path, or a
// bare file name for the system's loader to find (HiCOS installs
// HiCOSPKCS11.dll on Windows' library path). Close it when done.
func Open(modulePath string) (*Signer, error) {
	if modulePath == "" {
		return nil, errors.New("p11: no PKCS#11 module given")
	}
	if strings.ContainsAny(modulePath, `/\`) { // a bare name is for the loader to find
		if _, err := os.Stat(modulePath); err != nil {
			return nil, fmt.Errorf("p11: module: %w", err)
		}
	}
	c := pkcs11.New(modulePath)
	if c == nil {
		return nil, fmt.Errorf("p11: cannot load the PKCS#11 module %s", modulePath)
	}
	if err := c.Initialize(); err != nil && !isCode(err, pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		c.Destroy()
		return nil, fmt.Errorf("p11: initialize %s: %w", modulePath, err)
	}
	return &Signer{ctx: c}, nil
}

// Close finalises and unloads the module. Further calls fail.
func (s *Signer) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		return nil
	}
	err := s.ctx.Finalize()
	s.ctx.Destroy()
	s.ctx = nil
	if err != nil {
		return fmt.Errorf("p11: finalize: %w", err)
	}
	return nil
}

var errClosed = errors.New("p11: module closed")

// Tokens lists the initialised tokens present (SoftHSM, for one, always
// shows an empty, uninitialised token too).
func (s *Signer) Tokens() ([]TokenInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		return nil, errClosed
	}
	slots, err := s.ctx.GetSlotList(true)
	if err != nil {
		return nil, fmt.Errorf("p11: slot list: %w", err)
	}
	out := make([]TokenInfo, 0, len(slots))
	for _, slot := range slots {
		ti, err := s.ctx.GetTokenInfo(slot)
		if err != nil || ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED == 0 {
			continue // removed meanwhile, or empty
		}
		t := TokenInfo{
			Slot:         slot,
			Label:        trim(ti.Label),
			Manufacturer: trim(ti.ManufacturerID),
			Model:        trim(ti.Model),
			Serial:       trim(ti.SerialNumber),
			Flags:        ti.Flags,
		}
		t.PINTriesLeft, t.PINLocked = triesFromFlags(ti.Flags)
		if si, err := s.ctx.GetSlotInfo(slot); err == nil {
			t.SlotDescription = trim(si.SlotDescription)
		}
		out = append(out, t)
	}
	return out, nil
}

// TokenSlots lists the slots that hold an initialised token.
func (s *Signer) TokenSlots() ([]uint, error) {
	toks, err := s.Tokens()
	if err != nil {
		return nil, err
	}
	slots := make([]uint, len(toks))
	for i, t := range toks {
		slots[i] = t.Slot
	}
	return slots, nil
}

// triesFromFlags reads a token's PIN state from its CK_TOKEN_INFO flags:
// locked → (0, true); final try → 1; count low (a wrong PIN since the last
// good one) → 2; otherwise unknown, -1.
func triesFromFlags(flags uint) (int, bool) {
	switch {
	case flags&pkcs11.CKF_USER_PIN_LOCKED != 0:
		return 0, true
	case flags&pkcs11.CKF_USER_PIN_FINAL_TRY != 0:
		return 1, false
	case flags&pkcs11.CKF_USER_PIN_COUNT_LOW != 0:
		return 2, false
	}
	return -1, false
}

// FindByCertSerial finds, on every token present, the certificate whose
// serial number is serialHex (hexadecimal; case, colons, spaces and a 0x
// prefix do not matter) and returns its slot and DER.
func (s *Signer) FindByCertSerial(serialHex string) (uint, []byte, error) {
	want, ok := parseSerial(serialHex)
	if !ok {
		return 0, nil, fmt.Errorf("p11: bad certificate serial %q", serialHex)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		return 0, nil, errClosed
	}
	slots, err := s.ctx.GetSlotList(true)
	if err != nil {
		return 0, nil, fmt.Errorf("p11: slot list: %w", err)
	}
	for _, slot := range slots {
		certs, err := s.slotCerts(slot)
		if err != nil {
			continue // a token that cannot be read is not the one
		}
		for _, c := range certs {
			if c.cert.SerialNumber.Cmp(want) == 0 {
				return slot, c.der, nil
			}
		}
	}
	return 0, nil, &agent.Error{Code: agent.ErrUnsupportedCard, Message: "找不到這張卡片的憑證。請確認已安裝憑證卡的驅動程式（HiCOS），並重新插入卡片。"}
}

func parseSerial(s string) (*big.Int, bool) {
	s = strings.NewReplacer(":", "", " ", "", "-", "").Replace(strings.TrimSpace(s))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if s == "" {
		return nil, false
	}
	return new(big.Int).SetString(s, 16)
}

// certObject is a certificate on a token.
type certObject struct {
	id   []byte
	der  []byte
	cert *x509.Certificate
}

// slotCerts lists the X.509 certificates on the token in slot; s.mu must be
// held.
func (s *Signer) slotCerts(slot uint) ([]certObject, error) {
	sh, err := s.ctx.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		return nil, err
	}
	defer s.ctx.CloseSession(sh)
	return s.certs(sh)
}

func (s *Signer) certs(sh pkcs11.SessionHandle) ([]certObject, error) {
	objs, err := s.find(sh, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_CERTIFICATE),
		pkcs11.NewAttribute(pkcs11.CKA_CERTIFICATE_TYPE, pkcs11.CKC_X_509),
	})
	if err != nil {
		return nil, err
	}
	var out []certObject
	for _, o := range objs {
		der := s.attr(sh, o, pkcs11.CKA_VALUE)
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			continue
		}
		out = append(out, certObject{id: s.attr(sh, o, pkcs11.CKA_ID), der: der, cert: cert})
	}
	return out, nil
}

// find lists the objects matching tmpl.
func (s *Signer) find(sh pkcs11.SessionHandle, tmpl []*pkcs11.Attribute) ([]pkcs11.ObjectHandle, error) {
	if err := s.ctx.FindObjectsInit(sh, tmpl); err != nil {
		return nil, err
	}
	defer s.ctx.FindObjectsFinal(sh)
	var out []pkcs11.ObjectHandle
	for len(out) < 1024 {
		objs, _, err := s.ctx.FindObjects(sh, 64)
		if err != nil {
			return nil, err
		}
		if len(objs) == 0 {
			break
		}
		out = append(out, objs...)
	}
	return out, nil
}

// attr is one attribute's value, or nil.
func (s *Signer) attr(sh pkcs11.SessionHandle, o pkcs11.ObjectHandle, typ uint) []byte {
	attrs, err := s.ctx.GetAttributeValue(sh, o, []*pkcs11.Attribute{pkcs11.NewAttribute(typ, nil)})
	if err != nil || len(attrs) != 1 {
		return nil
	}
	return attrs[0].Value
}

// Sign signs digest with the token's signing certificate's key: see
// SignWithCert with no certificate.
func (s *Signer) Sign(ctx context.Context, slot uint, pin string, digest []byte) (*agent.Signature, error) {
	return s.SignWithCert(ctx, slot, nil, pin, digest)
}

// SignWithCert logs in to the token in slot with pin, signs digest (a
// SHA-256 hash) with the private key whose CKA_ID is that of the
// certificate certDER, and logs out. With certDER nil it uses the token's
// signing certificate: the first one whose key usage allows digital
// signatures (a 自然人憑證 also holds an encryption certificate). RSA keys
// make a PKCS#1 v1.5 SHA-256 signature, EC keys an ASN.1 ECDSA one; the
// signature is checked with the certificate before it is returned.
//
// A wrong PIN is an *agent.Error wrong_pin whose TriesLeft comes from the
// token's flags right after the failure; a locked PIN is pin_locked.
func (s *Signer) SignWithCert(ctx context.Context, slot uint, certDER []byte, pin string, digest []byte) (*agent.Signature, error) {
	if len(digest) != sha256.Size {
		return nil, &agent.Error{Code: agent.ErrBadRequest, Message: "簽章內容須為 SHA-256 雜湊值。"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		return nil, errClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sh, err := s.ctx.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		return nil, mapErr("open session", err)
	}
	defer s.ctx.CloseSession(sh)

	// The candidate certificates, read before the login so that a card
	// without one costs no PIN try.
	all, err := s.certs(sh)
	if err != nil {
		return nil, mapErr("find certificates", err)
	}
	cands := signingCerts(all, certDER)
	if len(cands) == 0 {
		if certDER != nil {
			return nil, &agent.Error{Code: agent.ErrCardRemoved, Message: "讀卡機中的卡片已更換，請重新操作。"}
		}
		return nil, &agent.Error{Code: agent.ErrUnsupportedCard, Message: "卡片中沒有可用於簽章的憑證。"}
	}

	if err := s.login(sh, slot, pkcs11.CKU_USER, pin); err != nil {
		return nil, err
	}
	defer s.ctx.Logout(sh)
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	for _, c := range cands {
		keys, err := s.find(sh, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
			pkcs11.NewAttribute(pkcs11.CKA_ID, c.id),
		})
		if err != nil {
			return nil, mapErr("find key", err)
		}
		if len(c.id) == 0 || len(keys) == 0 {
			continue
		}
		sig, alg, err := s.signWith(sh, slot, keys[0], c.cert, pin, digest)
		if err != nil {
			return nil, err
		}
		out := &agent.Signature{Algorithm: alg, Signature: sig, Certificate: c.der}
		out.Chain = chain(c.cert, all)
		return out, nil
	}
	return nil, &agent.Error{Code: agent.ErrUnsupportedCard, Message: "卡片中找不到憑證對應的私密金鑰。"}
}

// signingCerts lists the certificates to try: the one equal to certDER, or
// with certDER nil those that may sign, by key usage (agent.SigningRank:
// digitalSignature first, then nonRepudiation alone, then none stated),
// never by their order on the token.
func signingCerts(all []certObject, certDER []byte) []certObject {
	var out []certObject
	if certDER != nil {
		for _, c := range all {
			if bytes.Equal(c.der, certDER) {
				out = append(out, c)
			}
		}
		return out
	}
	for rank := 3; rank > 0; rank-- {
		for _, c := range all {
			if agent.SigningRank(c.cert) == rank {
				out = append(out, c)
			}
		}
	}
	return out
}

// chain lists, from the token's other certificates, the issuers of leaf.
func chain(leaf *x509.Certificate, all []certObject) [][]byte {
	var out [][]byte
	cur := leaf
	for range 5 {
		if bytes.Equal(cur.RawIssuer, cur.RawSubject) {
			break
		}
		var next *certObject
		for i := range all {
			if c := all[i].cert; c.IsCA && bytes.Equal(c.RawSubject, cur.RawIssuer) && !bytes.Equal(c.Raw, cur.Raw) {
				next = &all[i]
				break
			}
		}
		if next == nil {
			break
		}
		out = append(out, next.der)
		cur = next.cert
	}
	return out
}

// login logs in as userType; s.mu must be held.
func (s *Signer) login(sh pkcs11.SessionHandle, slot uint, userType uint, pin string) error {
	err := s.ctx.Login(sh, userType, pin)
	if isCode(err, pkcs11.CKR_USER_ALREADY_LOGGED_IN) {
		// Someone else's login: never sign on it without our PIN.
		s.ctx.Logout(sh)
		err = s.ctx.Login(sh, userType, pin)
	}
	if err == nil {
		return nil
	}
	if isCode(err, pkcs11.CKR_PIN_INCORRECT) {
		tries := -1
		locked := false
		if ti, e := s.ctx.GetTokenInfo(slot); e == nil {
			tries, locked = triesFromFlags(ti.Flags)
		}
		if locked {
			return pinLocked()
		}
		e := &agent.Error{Code: agent.ErrWrongPIN, Message: "PIN 碼錯誤。請注意：連續輸入錯誤 3 次，卡片就會鎖卡。"}
		if tries >= 0 {
			e.TriesLeft = &tries
			e.Message = fmt.Sprintf("PIN 碼錯誤，還可以再試 %d 次。", tries)
		}
		return e
	}
	return mapErr("login", err)
}

// signWith signs digest with key; s.mu must be held and the user logged in.
func (s *Signer) signWith(sh pkcs11.SessionHandle, slot uint, key pkcs11.ObjectHandle, cert *x509.Certificate, pin string, digest []byte) ([]byte, string, error) {
	var (
		mech *pkcs11.Mechanism
		data []byte
		alg  string
	)
	switch cert.PublicKey.(type) {
	case *rsa.PublicKey:
		mech = pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS, nil)
		data = append(append([]byte{}, sha256DigestInfo...), digest...)
		alg = AlgRSA
	case *ecdsa.PublicKey:
		mech = pkcs11.NewMechanism(pkcs11.CKM_ECDSA, nil)
		data = digest
		alg = AlgECDSA
	default:
		return nil, "", &agent.Error{Code: agent.ErrUnsupportedCard, Message: "不支援這張卡片的金鑰類型。"}
	}
	a := s.attr(sh, key, pkcs11.CKA_ALWAYS_AUTHENTICATE)
	alwaysAuth := len(a) == 1 && a[0] != 0
	if err := s.ctx.SignInit(sh, []*pkcs11.Mechanism{mech}, key); err != nil {
		return nil, "", mapErr("sign init", err)
	}
	if alwaysAuth {
		// Keys for non-repudiation may want the PIN again for each signature.
		if err := s.login(sh, slot, pkcs11.CKU_CONTEXT_SPECIFIC, pin); err != nil {
			return nil, "", err
		}
	}
	sig, err := s.ctx.Sign(sh, data)
	if err != nil {
		return nil, "", mapErr("sign", err)
	}
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, sig) != nil {
			return nil, "", errors.New("p11: the card's signature does not match its certificate")
		}
	case *ecdsa.PublicKey:
		if len(sig) == 0 || len(sig)%2 != 0 {
			return nil, "", fmt.Errorf("p11: ECDSA signature of %d bytes", len(sig))
		}
		n := len(sig) / 2
		der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])})
		if err != nil {
			return nil, "", err
		}
		if !ecdsa.VerifyASN1(pub, digest, der) {
			return nil, "", errors.New("p11: the card's signature does not match its certificate")
		}
		sig = der
	}
	return sig, alg, nil
}

// mapErr turns a PKCS#11 error into an *agent.Error where one fits.
func mapErr(op string, err error) error {
	var code pkcs11.Error
	if !errors.As(err, &code) {
		return fmt.Errorf("p11: %s: %w", op, err)
	}
	switch code {
	case pkcs11.CKR_PIN_LOCKED:
		return pinLocked()
	case pkcs11.CKR_PIN_EXPIRED:
		return &agent.Error{Code: agent.ErrPINLocked, Message: "PIN 碼已過期，請先以憑證卡的管理工具變更 PIN 碼。"}
	case pkcs11.CKR_PIN_LEN_RANGE, pkcs11.CKR_PIN_INVALID:
		return &agent.Error{Code: agent.ErrBadRequest, Message: "PIN 碼的長度或格式不符合這張卡片的規定。"}
	case pkcs11.CKR_TOKEN_NOT_PRESENT, pkcs11.CKR_DEVICE_REMOVED, pkcs11.CKR_SESSION_HANDLE_INVALID,
		pkcs11.CKR_SESSION_CLOSED, pkcs11.CKR_SLOT_ID_INVALID:
		return &agent.Error{Code: agent.ErrCardRemoved, Message: "卡片在讀取中被取出，請重新插入卡片後再試。"}
	case pkcs11.CKR_TOKEN_NOT_RECOGNIZED:
		return &agent.Error{Code: agent.ErrUnsupportedCard, Message: "無法辨識這張卡片。"}
	}
	return fmt.Errorf("p11: %s: %w", op, err)
}

func pinLocked() error {
	zero := 0
	return &agent.Error{Code: agent.ErrPINLocked, Message: "PIN 碼錯誤次數過多，卡片已鎖卡，請洽發卡單位解鎖。", TriesLeft: &zero}
}

func isCode(err error, code uint) bool {
	var e pkcs11.Error
	return errors.As(err, &e) && uint(e) == code
}

func trim(s string) string { return strings.TrimRight(s, " \x00") }
