package devca_test

import (
	"crypto"
	"crypto/x509"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/devca"
)

// TestIssueEachKind: one card of every kind, each under its own
// intermediate, each carrying its identifier where package certlogin reads
// it.
func TestIssueEachKind(t *testing.T) {
	ca, err := devca.NewCA(devca.Options{CRLBaseURL: "https://crl.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	nb, na := time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0)
	issue := map[string]func() (*devca.Card, error){
		devca.KindBusiness: func() (*devca.Card, error) { return ca.IssueBusiness("04595257", "測試股份有限公司", nb, na) },
		devca.KindGCA:      func() (*devca.Card, error) { return ca.IssueGCA("2.16.886.101.20003", "測試市政府", nb, na) },
		devca.KindXCA:      func() (*devca.Card, error) { return ca.IssueXCA("2.16.886.500.1", "測試大學", nb, na) },
		devca.KindHCA:      func() (*devca.Card, error) { return ca.IssueHCA("0101090517", "測試醫院", nb, na) },
		devca.KindCitizen:  func() (*devca.Card, error) { return ca.IssueCitizenPair("王小明", "A123456789", nb, na) },
	}
	seen := map[string]bool{}
	for _, kind := range devca.Kinds {
		c, err := issue[kind]()
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		inter, err := ca.Intermediate(kind)
		if err != nil {
			t.Fatal(err)
		}
		if c.Kind != kind || c.Cert.CheckSignatureFrom(inter.Cert) != nil {
			t.Errorf("%s: Kind %q, or not signed by its intermediate", kind, c.Kind)
		}
		if seen[string(inter.Cert.Raw)] {
			t.Errorf("%s shares an intermediate with another kind", kind)
		}
		seen[string(inter.Cert.Raw)] = true
		if want := "https://crl.example.test/" + devca.CRLFile(kind); len(c.Cert.CRLDistributionPoints) != 1 || c.Cert.CRLDistributionPoints[0] != want {
			t.Errorf("%s: CRLDistributionPoints %v, want %s", kind, c.Cert.CRLDistributionPoints, want)
		}
		if c.Cert.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
			t.Errorf("%s: the signing certificate cannot sign", kind)
		}
		if want := map[string]string{devca.KindCitizen: devca.KindCitizen}[kind]; devca.AgentType(kind) != want && !(want == "" && devca.AgentType(kind) == devca.KindBusiness) {
			t.Errorf("AgentType(%s) = %s", kind, devca.AgentType(kind))
		}
	}
	if _, err := ca.IssueHCA("123", "醫院", nb, na); err == nil {
		t.Error("IssueHCA with a 3-character code: want an error")
	}
	if _, err := ca.IssueGCA("機關", "機關", nb, na); err == nil {
		t.Error("IssueGCA with a non-printable identifier: want an error")
	}
}

// TestCitizenPair: the encryption certificate comes first on the card,
// may not sign, and has its own key.
func TestCitizenPair(t *testing.T) {
	ca, err := devca.NewCA(devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := ca.IssueCitizenPair("王小明", "A123456789", time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	certs := c.Certs()
	if len(certs) != 2 || certs[0].Cert != c.EncCert || certs[1].Cert != c.Cert {
		t.Fatalf("Certs() = %d certificates, want the encryption one first", len(certs))
	}
	enc := c.EncCert
	if enc.KeyUsage != x509.KeyUsageKeyEncipherment|x509.KeyUsageDataEncipherment {
		t.Errorf("encryption key usage = %b", enc.KeyUsage)
	}
	if c.Cert.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment {
		t.Errorf("signing key usage = %b", c.Cert.KeyUsage)
	}
	if enc.Subject.String() != c.Cert.Subject.String() || enc.SerialNumber.Cmp(c.Cert.SerialNumber) == 0 {
		t.Error("the two certificates should share the subject and differ in serial")
	}
	if c.EncKey.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(c.Key.Public()) {
		t.Error("the two certificates share a key")
	}
	if err := enc.CheckSignatureFrom(ca.Citizen.Cert); err != nil {
		t.Error(err)
	}
}
