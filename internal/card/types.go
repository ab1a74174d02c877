package card

import (
	"bytes"
	"crypto/x509"
	"strings"
)

// Type is a kind of card. Its values are the card type strings of the
// agent API (agent.CardNHI and so on).
type Type string

// Card types.
const (
	TypeNHI          Type = "nhi_card"      // 健保卡
	TypeCitizenCert  Type = "citizen_cert"  // 自然人憑證 (MOICA)
	TypeBusinessCert Type = "business_cert" // a unit's certificate: 工商憑證 (MOEACA), 政府憑證 (GCA), 組織及團體憑證 (XCA) or 醫事憑證 (HCA)
	TypeUnknown      Type = "unknown"       // a card multicert cannot use
)

// IsCert reports whether t is a certificate card type.
func (t Type) IsCert() bool { return t == TypeCitizenCert || t == TypeBusinessCert }

// Known ATRs. Only first-generation MOICA cards have a publicly recorded
// ATR; its historical bytes spell "CHTMOICA".
var (
	// ATRMOICA is the ATR of a first-generation 自然人憑證 (HiCOS T7S):
	// 3B B8 13 00 81 31 FA 52 43 48 54 4D 4F 49 43 41 A5.
	ATRMOICA = []byte{0x3B, 0xB8, 0x13, 0x00, 0x81, 0x31, 0xFA, 0x52,
		'C', 'H', 'T', 'M', 'O', 'I', 'C', 'A', 0xA5}
)

// TypeFromATR guesses the card type from its ATR, best effort: an ATR
// holding "MOICA" is a citizen certificate card and one holding "MOEACA" a
// business certificate card. Every other ATR, the NHI card's included
// (no public record of it could be confirmed), gives TypeUnknown: the
// caller has to ask the card. Because business certificate cards may share
// the HiCOS ATR of citizen cards, a certificate type from the ATR should
// be confirmed with TypeFromCert when the certificate can be read.
func TypeFromATR(atr []byte) Type {
	switch {
	case bytes.Contains(atr, []byte("MOEACA")):
		return TypeBusinessCert
	case bytes.Contains(atr, []byte("MOICA")):
		return TypeCitizenCert
	}
	return TypeUnknown
}

// Issuer names of the certificate authorities.
const (
	IssuerMOICA  = "內政部憑證管理中心"   // issues 自然人憑證
	IssuerMOEACA = "經濟部工商憑證管理中心" // issues 工商憑證
	IssuerGCA    = "政府憑證管理中心"    // issues 政府憑證 to agencies
	IssuerXCA    = "組織及團體憑證管理中心" // issues 組織及團體憑證
	IssuerHCA    = "醫事憑證管理中心"    // issues 醫事憑證 (institution cards among them)

	// DevCAOrg is the organisation of multicert's development CA, which
	// issues test certificates of both kinds, told apart by the issuer's
	// organisational unit.
	DevCAOrg          = "multicert 開發測試"
	DevCAUnitCitizen  = "自然人憑證（測試）"
	DevCAUnitBusiness = "工商憑證（測試）"
	DevCAUnitGCA      = "政府憑證（測試）"
	DevCAUnitXCA      = "組織及團體憑證（測試）"
	DevCAUnitHCA      = "醫事憑證（測試）"
)

// TypeFromCert tells the card type from the issuer of the certificate on
// it: MOICA (內政部憑證管理中心, or "MOICA" in the issuer) issues citizen
// certificates; MOEACA (經濟部工商憑證管理中心, or "MOEACA"), GCA
// (政府憑證管理中心), XCA (組織及團體憑證管理中心) and HCA (醫事憑證管理中心)
// issue units' certificates, all TypeBusinessCert; multicert's development
// CA (O=multicert 開發測試) issues every kind, with the kind's name in the
// OU. Any other issuer, or a nil certificate, gives TypeUnknown. This only
// names the card for the page: which CA the server trusts for which kind is
// the server's to check.
func TypeFromCert(cert *x509.Certificate) Type {
	if cert == nil {
		return TypeUnknown
	}
	var values []string
	for _, atv := range cert.Issuer.Names {
		if s, ok := atv.Value.(string); ok {
			values = append(values, s)
		}
	}
	has := func(sub string) bool {
		for _, v := range values {
			if strings.Contains(v, sub) {
				return true
			}
		}
		return false
	}
	switch {
	case has(IssuerMOEACA) || has("MOEACA"):
		return TypeBusinessCert
	case has(IssuerMOICA) || has("MOICA"):
		return TypeCitizenCert
	case has(IssuerGCA) || has(IssuerXCA) || has(IssuerHCA):
		return TypeBusinessCert
	}
	issuer := cert.Issuer
	devCA := false
	for _, o := range issuer.Organization {
		if strings.TrimSpace(o) == DevCAOrg {
			devCA = true
		}
	}
	if devCA {
		for _, ou := range issuer.OrganizationalUnit {
			switch strings.TrimSpace(ou) {
			case DevCAUnitCitizen:
				return TypeCitizenCert
			case DevCAUnitBusiness, DevCAUnitGCA, DevCAUnitXCA, DevCAUnitHCA:
				return TypeBusinessCert
			}
		}
	}
	return TypeUnknown
}
