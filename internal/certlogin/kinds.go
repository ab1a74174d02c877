package certlogin

import (
	"context"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/twid"
)

// Kind is a kind of certificate card, named after the certificate
// authority that issues it. Each kind has its own trust anchors (one
// Verifier) and its own identifier, read from its own field: see UnitID
// and docs/certificates.md.
type Kind string

// The kinds of certificate card. The first four are unit certificates
// (單位憑證), with which an insured unit logs in; MOICA's 自然人憑證 is a
// person's, for clerks.
const (
	KindMOEACA Kind = "moeaca" // 工商憑證: companies, by 統一編號
	KindGCA    Kind = "gca"    // 政府憑證: government agencies, by their organization identifier
	KindXCA    Kind = "xca"    // 組織及團體憑證: schools, foundations, associations, by theirs
	KindHCA    Kind = "hca"    // 醫事憑證: medical institutions, by 醫事機構代碼
	KindMOICA  Kind = "moica"  // 自然人憑證: a person, by the last 4 digits of the national ID
)

// UnitKinds are the kinds a unit may log in with, in the order they are
// tried and shown.
var UnitKinds = []Kind{KindMOEACA, KindGCA, KindXCA, KindHCA}

// Valid reports whether k is one of the kinds.
func (k Kind) Valid() bool {
	switch k {
	case KindMOEACA, KindGCA, KindXCA, KindHCA, KindMOICA:
		return true
	}
	return false
}

// Name is the card's name in the portal's words, e.g. 工商憑證.
func (k Kind) Name() string {
	switch k {
	case KindMOEACA:
		return "工商憑證"
	case KindGCA:
		return "政府憑證"
	case KindXCA:
		return "組織及團體憑證"
	case KindHCA:
		return "醫事憑證"
	case KindMOICA:
		return "自然人憑證"
	}
	return "憑證"
}

// IDName names the identifier the kind carries, e.g. 統一編號.
func (k Kind) IDName() string {
	switch k {
	case KindMOEACA:
		return "統一編號"
	case KindGCA:
		return "機關代碼"
	case KindXCA:
		return "組織代碼"
	case KindHCA:
		return "醫事機構代碼"
	case KindMOICA:
		return "身分證號末四碼"
	}
	return "識別碼"
}

// Object identifiers of the fields the identifiers are read from. The
// 2.16.886.1.100.2 arc is the GPKI's attributes in the Subject Directory
// Attributes extension; docs/certificates.md says where each was found and
// what is not confirmed.
var (
	OIDSubjectDirectoryAttributes = asn1.ObjectIdentifier{2, 5, 29, 9}
	OIDSubjectSerialNumber        = asn1.ObjectIdentifier{2, 5, 4, 5}
	// OIDIDSuffix: the last 4 digits of the national ID (MOICA).
	OIDIDSuffix = asn1.ObjectIdentifier{2, 16, 886, 1, 100, 2, 51}
	// OIDUniformOrganizationID: the 統一編號 (MOEACA).
	OIDUniformOrganizationID = asn1.ObjectIdentifier{2, 16, 886, 1, 100, 2, 101}
	// OIDOrganizationID: the agency's or organization's identifier (GCA
	// and XCA alike; the anchor tells them apart).
	OIDOrganizationID = asn1.ObjectIdentifier{2, 16, 886, 1, 100, 2, 102}
	// OIDSubjectClass: the kind of subject the certificate names. Public
	// sample code of the HCA SDK tells an institution's card
	// (2.16.886.1.100.3.2.21 醫事機構) from a professional's
	// (2.16.886.1.100.3.1.7 醫事人員) by it, and a GCA card test page lists
	// 2.16.886.1.100.3.2.1 政府機關: persons under 3.1, organizations under
	// 3.2 (read from those samples, not from a certificate profile).
	OIDSubjectClass = asn1.ObjectIdentifier{2, 16, 886, 1, 100, 2, 1}
)

// personClasses is the arc of OIDSubjectClass's values that name a person.
const personClasses = "2.16.886.1.100.3.1."

// ErrPersonalCert: a unit kind's CA issued the card to a person (an HCA
// 醫事人員卡 under the same anchor as the hospitals' cards).
var ErrPersonalCert = apperr.New(apperr.Unauthorized, "這張卡是個人的憑證（例如醫事人員卡），不能以單位身分登入；請使用貴單位的單位憑證卡，或取消勾選「單位憑證」以承辦人身分登入")

// ErrNoUnitID: the certificate chains to a unit kind's CA but does not
// carry that kind's identifier in the one form expected.
var ErrNoUnitID = apperr.New(apperr.Unauthorized, "憑證上讀不到單位的識別碼（統一編號、機關代碼、組織代碼或醫事機構代碼），請使用貴單位的單位憑證卡")

var (
	reOrgID   = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.\-]{0,63}$`)
	reHCACode = regexp.MustCompile(`^[0-9A-Z]{10}$`)
)

// UnitID returns the identifier a unit certificate of kind carries, the
// one the unit's record must hold for that kind:
//
//   - MOEACA: the 統一編號, from the Subject Directory Attributes
//     (2.16.886.1.100.2.101) or the subject's serialNumber; when both are
//     present they must agree; it must pass twid.CheckBAN.
//   - GCA, XCA: the organization identifier in the Subject Directory
//     Attributes (2.16.886.1.100.2.102), as written there (an OID or a
//     code): letters, digits, dots and hyphens.
//   - HCA: the 醫事機構代碼 (10 digits or capital letters), from the
//     subject's serialNumber.
//
// A field that appears twice, or with two values, is refused rather than
// guessed at. Which kind a certificate is comes from the anchor it chains
// to (UnitVerifiers), never from these fields: an HCA certificate whose
// serialNumber looks like a 統一編號 is still an HCA certificate.
func UnitID(kind Kind, c *x509.Certificate) (string, error) {
	if slices.Contains(UnitKinds, kind) {
		if attrs, err := DirectoryAttributes(c); err == nil {
			for _, v := range attrs[OIDSubjectClass.String()] {
				if strings.HasPrefix(v, personClasses) {
					return "", fail(ErrPersonalCert, fmt.Errorf("%s: subject class %s is a person", kind, v))
				}
			}
		}
	}
	switch kind {
	case KindMOEACA:
		return BANFromCert(c)
	case KindGCA, KindXCA:
		v, err := oneValue(c, OIDOrganizationID, false)
		if err != nil {
			return "", fail(ErrNoUnitID, fmt.Errorf("%s: %w", kind, err))
		}
		if !reOrgID.MatchString(v) {
			return "", fail(ErrNoUnitID, fmt.Errorf("%s: organization identifier %q", kind, v))
		}
		return v, nil
	case KindHCA:
		v, err := oneValue(c, nil, true)
		if err != nil {
			return "", fail(ErrNoUnitID, fmt.Errorf("%s: %w", kind, err))
		}
		if !reHCACode.MatchString(v) {
			return "", fail(ErrNoUnitID, fmt.Errorf("%s: 醫事機構代碼 %q is not 10 digits or capitals", kind, v))
		}
		return v, nil
	}
	return "", fail(ErrNoUnitID, fmt.Errorf("%q is not a unit certificate kind", kind))
}

// CheckUnitID checks that id has the form of kind's identifier, as UnitID
// accepts it from a certificate: for staff typing a unit's identifier of
// a kind. The error says what is wrong, in Chinese.
func CheckUnitID(kind Kind, id string) error {
	ok := false
	switch kind {
	case KindMOEACA:
		return twid.CheckBAN(id)
	case KindGCA, KindXCA:
		ok = reOrgID.MatchString(id)
	case KindHCA:
		ok = reHCACode.MatchString(id)
	}
	if !ok {
		return fmt.Errorf("%s的格式不正確", kind.IDName())
	}
	return nil
}

// oneValue reads an identifier from the Subject Directory Attributes under
// sda (when not nil) and from the subject's serialNumber (when serial):
// the fields present must be single-valued and agree, and one must be.
func oneValue(c *x509.Certificate, sda asn1.ObjectIdentifier, serial bool) (string, error) {
	var vals []string
	if sda != nil {
		attrs, err := DirectoryAttributes(c)
		if err != nil {
			return "", err
		}
		switch got := attrs[sda.String()]; len(got) {
		case 0:
		case 1:
			vals = append(vals, got[0])
		default:
			return "", fmt.Errorf("%d values of %s", len(got), sda)
		}
	}
	if serial {
		n := 0
		for _, a := range c.Subject.Names {
			if a.Type.Equal(OIDSubjectSerialNumber) {
				s, ok := a.Value.(string)
				if !ok {
					return "", errors.New("serialNumber is not a string")
				}
				vals = append(vals, s)
				n++
			}
		}
		if n > 1 {
			return "", fmt.Errorf("%d serialNumber attributes in the subject", n)
		}
	}
	switch {
	case len(vals) == 0:
		return "", errors.New("no identifier")
	case len(vals) == 2 && vals[0] != vals[1]:
		return "", fmt.Errorf("the directory attribute %q and the subject's serialNumber %q differ", vals[0], vals[1])
	}
	return vals[0], nil
}

// DirectoryAttributes returns the Subject Directory Attributes extension
// (2.5.29.9) of c: each attribute's values by the attribute's OID in
// dotted form. String values (PrintableString, UTF8String, IA5String,
// NumericString) are returned as they are, OBJECT IDENTIFIER values in
// dotted form; values of other types are an error, as is an attribute
// that appears twice. No extension gives an empty map.
func DirectoryAttributes(c *x509.Certificate) (map[string][]string, error) {
	out := map[string][]string{}
	for _, e := range c.Extensions {
		if !e.Id.Equal(OIDSubjectDirectoryAttributes) {
			continue
		}
		if len(out) > 0 {
			return nil, errors.New("two Subject Directory Attributes extensions")
		}
		var attrs []struct {
			Type   asn1.ObjectIdentifier
			Values []asn1.RawValue `asn1:"set"`
		}
		rest, err := asn1.Unmarshal(e.Value, &attrs)
		if err == nil && len(rest) > 0 {
			err = errors.New("trailing data")
		}
		if err != nil {
			return nil, fmt.Errorf("the Subject Directory Attributes do not parse: %w", err)
		}
		for _, a := range attrs {
			k := a.Type.String()
			if _, dup := out[k]; dup {
				return nil, fmt.Errorf("attribute %s twice", k)
			}
			vals := make([]string, 0, len(a.Values))
			for _, v := range a.Values {
				s, err := attrString(v)
				if err != nil {
					return nil, fmt.Errorf("attribute %s: %w", k, err)
				}
				vals = append(vals, s)
			}
			out[k] = vals
		}
	}
	return out, nil
}

func attrString(v asn1.RawValue) (string, error) {
	if v.Class != asn1.ClassUniversal {
		return "", fmt.Errorf("value of class %d", v.Class)
	}
	switch v.Tag {
	case asn1.TagPrintableString, asn1.TagUTF8String, asn1.TagIA5String, asn1.TagNumericString:
		return string(v.Bytes), nil
	case asn1.TagOID:
		var oid asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(v.FullBytes, &oid); err != nil {
			return "", err
		}
		return oid.String(), nil
	}
	return "", fmt.Errorf("value of tag %d", v.Tag)
}

// DirectoryAttributesExtension encodes attrs (OID → one string value) as a
// Subject Directory Attributes extension, for test and development
// certificates. Values that parse as an OID in dotted form are written as
// OBJECT IDENTIFIER only when asOID is true; others as PrintableString
// (UTF8String when they are not printable).
func DirectoryAttributesExtension(attrs []DirectoryAttribute) ([]byte, error) {
	type attr struct {
		Type   asn1.ObjectIdentifier
		Values []asn1.RawValue `asn1:"set"`
	}
	var seq []attr
	for _, a := range attrs {
		var raw []byte
		var err error
		if a.AsOID {
			var oid asn1.ObjectIdentifier
			if oid, err = parseOID(a.Value); err == nil {
				raw, err = asn1.Marshal(oid)
			}
		} else if isPrintable(a.Value) {
			raw, err = asn1.MarshalWithParams(a.Value, "printable")
		} else {
			raw, err = asn1.MarshalWithParams(a.Value, "utf8")
		}
		if err != nil {
			return nil, fmt.Errorf("certlogin: directory attribute %s: %w", a.Type, err)
		}
		seq = append(seq, attr{Type: a.Type, Values: []asn1.RawValue{{FullBytes: raw}}})
	}
	return asn1.Marshal(seq)
}

// DirectoryAttribute is one attribute for DirectoryAttributesExtension.
type DirectoryAttribute struct {
	Type  asn1.ObjectIdentifier
	Value string
	AsOID bool // encode Value (dotted) as an OBJECT IDENTIFIER
}

func parseOID(s string) (asn1.ObjectIdentifier, error) {
	var oid asn1.ObjectIdentifier
	for _, p := range strings.Split(s, ".") {
		n := 0
		if p == "" || len(p) > 9 {
			return nil, fmt.Errorf("%q is not an OID", s)
		}
		for _, r := range p {
			if r < '0' || r > '9' {
				return nil, fmt.Errorf("%q is not an OID", s)
			}
			n = n*10 + int(r-'0')
		}
		oid = append(oid, n)
	}
	if len(oid) < 2 {
		return nil, fmt.Errorf("%q is not an OID", s)
	}
	return oid, nil
}

func isPrintable(s string) bool {
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(" '()+,-./:=?", r)
		if !ok {
			return false
		}
	}
	return true
}

// UnitVerifiers verifies unit certificates of every kind: one Verifier per
// kind, each trusting only that kind's anchors (the issuing CAs: MOEACA,
// GCA, XCA, HCA, never a root they share). A kind without a Verifier is
// not accepted.
type UnitVerifiers map[Kind]*Verifier

// kindIndependent reports an error that does not depend on the anchors, so
// that every kind would give it.
func kindIndependent(err error) bool {
	return err != nil && (errors.Is(err, ErrMalformed) || apperr.CodeOf(err) == apperr.Internal)
}

// Verify checks a unit's login with the verifier of every kind and returns
// the kind whose anchors the certificate chains to, with the certificate
// (see Verifier.Verify). A certificate that chains to no kind's anchors is
// ErrUntrusted; one that chains to the anchors of two kinds (anchors
// configured for two kinds, e.g. a root they share) is refused with
// ErrUntrusted too, rather than taken as either.
func (m UnitVerifiers) Verify(ctx context.Context, in Input) (Kind, *x509.Certificate, error) {
	return m.each(func(v *Verifier) (*x509.Certificate, error) { return v.Verify(ctx, in) })
}

// VerifyCertificate is Verify without a signature (Verifier.VerifyCertificate).
func (m UnitVerifiers) VerifyCertificate(ctx context.Context, certDER []byte, chainDER [][]byte) (Kind, *x509.Certificate, error) {
	return m.each(func(v *Verifier) (*x509.Certificate, error) { return v.VerifyCertificate(ctx, certDER, chainDER) })
}

func (m UnitVerifiers) each(check func(*Verifier) (*x509.Certificate, error)) (Kind, *x509.Certificate, error) {
	var (
		kind  Kind
		cert  *x509.Certificate
		err   error
		kinds []string
	)
	for _, k := range UnitKinds {
		v := m[k]
		if v == nil {
			continue
		}
		c, e := check(v)
		if kindIndependent(e) {
			return "", nil, e
		}
		if errors.Is(e, ErrUntrusted) {
			continue
		}
		kinds = append(kinds, string(k))
		kind, cert, err = k, c, e
	}
	switch len(kinds) {
	case 0:
		return "", nil, fail(ErrUntrusted, errors.New("no unit certificate kind's anchors"))
	case 1:
		return kind, cert, err
	}
	return "", nil, fail(ErrUntrusted, fmt.Errorf("the certificate chains to the anchors of %s: configure each kind's issuing CA, not a root they share", strings.Join(kinds, ", ")))
}

// Check confirms that the verifiers' anchors are apart: no certificate is
// the anchor of two kinds, and no kind's anchor issued another kind's
// anchor (which would let the first kind's verifier accept the second
// kind's cards through the intermediates). The server refuses to start
// otherwise.
func (m UnitVerifiers) Check(others ...*Verifier) error {
	type owned struct {
		kind string
		cert *x509.Certificate
	}
	var all []owned
	for _, k := range UnitKinds {
		if v := m[k]; v != nil {
			for _, c := range v.anchors {
				all = append(all, owned{string(k), c})
			}
		}
	}
	for i, v := range others {
		if v != nil {
			for _, c := range v.anchors {
				all = append(all, owned{fmt.Sprintf("other %d", i+1), c})
			}
		}
	}
	for i, a := range all {
		for _, b := range all[i+1:] {
			if a.kind == b.kind {
				continue
			}
			if a.cert.Equal(b.cert) {
				return fmt.Errorf("certlogin: %q is an anchor of both %s and %s", a.cert.Subject, a.kind, b.kind)
			}
			if b.cert.CheckSignatureFrom(a.cert) == nil || a.cert.CheckSignatureFrom(b.cert) == nil {
				return fmt.Errorf("certlogin: the anchors %q (%s) and %q (%s) are one above the other: configure each kind's issuing CA", a.cert.Subject, a.kind, b.cert.Subject, b.kind)
			}
		}
	}
	return nil
}

// Anchors returns the certificates v trusts as roots.
func (v *Verifier) Anchors() []*x509.Certificate {
	return append([]*x509.Certificate(nil), v.anchors...)
}
