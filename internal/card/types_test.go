package card_test

import (
	"crypto/x509/pkix"
	"testing"

	"github.com/multicert/multicert/internal/agent"
	"github.com/multicert/multicert/internal/card"
)

func TestTypeValuesMatchAgent(t *testing.T) {
	tests := []struct {
		got  card.Type
		want string
	}{
		{card.TypeNHI, agent.CardNHI},
		{card.TypeCitizenCert, agent.CardCitizenCert},
		{card.TypeBusinessCert, agent.CardBusinessCert},
		{card.TypeUnknown, agent.CardUnknown},
	}
	for _, tt := range tests {
		if string(tt.got) != tt.want {
			t.Errorf("card type %q, want the agent's %q", tt.got, tt.want)
		}
	}
}

func TestTypeIsCert(t *testing.T) {
	tests := []struct {
		typ  card.Type
		want bool
	}{
		{card.TypeNHI, false},
		{card.TypeCitizenCert, true},
		{card.TypeBusinessCert, true},
		{card.TypeUnknown, false},
	}
	for _, tt := range tests {
		if got := tt.typ.IsCert(); got != tt.want {
			t.Errorf("%q.IsCert() = %v, want %v", tt.typ, got, tt.want)
		}
	}
}

func TestATRMOICAChecksum(t *testing.T) {
	// TCK is the XOR of every byte from T0 to the last historical byte.
	var x byte
	for _, b := range card.ATRMOICA[1 : len(card.ATRMOICA)-1] {
		x ^= b
	}
	if got, want := card.ATRMOICA[len(card.ATRMOICA)-1], x; got != want {
		t.Errorf("ATRMOICA TCK = %02X, want %02X", got, want)
	}
}

func TestTypeFromATR(t *testing.T) {
	tests := []struct {
		name string
		atr  []byte
		want card.Type
	}{
		{"MOICA", card.ATRMOICA, card.TypeCitizenCert},
		{"MOEACA in historical bytes", []byte("\x3B\x89\x81\x01CHTMOEACA\x00"), card.TypeBusinessCert},
		{"generic T=1 card", []byte{0x3B, 0x81, 0x80, 0x01, 0x80, 0x80}, card.TypeUnknown},
		{"empty", nil, card.TypeUnknown},
	}
	for _, tt := range tests {
		if got := card.TypeFromATR(tt.atr); got != tt.want {
			t.Errorf("%s: TypeFromATR(% X) = %q, want %q", tt.name, tt.atr, got, tt.want)
		}
	}
}

func TestTypeFromCert(t *testing.T) {
	tests := []struct {
		name   string
		issuer pkix.Name
		want   card.Type
	}{
		{"MOICA", pkix.Name{Country: []string{"TW"}, Organization: []string{"行政院"}, OrganizationalUnit: []string{"內政部憑證管理中心"}}, card.TypeCitizenCert},
		{"MOEACA", pkix.Name{Country: []string{"TW"}, Organization: []string{"行政院"}, OrganizationalUnit: []string{"經濟部工商憑證管理中心"}}, card.TypeBusinessCert},
		{"MOICA in CN", pkix.Name{CommonName: "MOICA2"}, card.TypeCitizenCert},
		{"MOEACA in CN", pkix.Name{CommonName: "MOEACA G2"}, card.TypeBusinessCert},
		{"dev CA citizen", pkix.Name{Organization: []string{"multicert 開發測試"}, OrganizationalUnit: []string{"自然人憑證（測試）"}}, card.TypeCitizenCert},
		{"dev CA business", pkix.Name{Organization: []string{"multicert 開發測試"}, OrganizationalUnit: []string{"工商憑證（測試）"}}, card.TypeBusinessCert},
		{"dev OU without dev O", pkix.Name{Organization: []string{"某公司"}, OrganizationalUnit: []string{"自然人憑證（測試）"}}, card.TypeUnknown},
		{"dev O without OU", pkix.Name{Organization: []string{"multicert 開發測試"}}, card.TypeUnknown},
		// The other unit certificates are units' cards too.
		{"GCA", pkix.Name{Country: []string{"TW"}, Organization: []string{"行政院"}, OrganizationalUnit: []string{"政府憑證管理中心"}}, card.TypeBusinessCert},
		{"XCA", pkix.Name{Country: []string{"TW"}, Organization: []string{"行政院"}, OrganizationalUnit: []string{"組織及團體憑證管理中心"}}, card.TypeBusinessCert},
		{"HCA", pkix.Name{Country: []string{"TW"}, Organization: []string{"行政院"}, OrganizationalUnit: []string{"醫事憑證管理中心"}}, card.TypeBusinessCert},
		{"dev CA HCA", pkix.Name{Organization: []string{"multicert 開發測試"}, OrganizationalUnit: []string{"醫事憑證（測試）"}}, card.TypeBusinessCert},
		{"another CA", pkix.Name{Country: []string{"TW"}, Organization: []string{"某銀行"}, OrganizationalUnit: []string{"網路銀行憑證中心"}}, card.TypeUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert := issueCert(t, tt.issuer, 0)
			if got := card.TypeFromCert(cert); got != tt.want {
				t.Errorf("TypeFromCert(issuer %s) = %q, want %q", cert.Issuer, got, tt.want)
			}
		})
	}
	if got := card.TypeFromCert(nil); got != card.TypeUnknown {
		t.Errorf("TypeFromCert(nil) = %q, want %q", got, card.TypeUnknown)
	}
}
