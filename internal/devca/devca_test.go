package devca_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"math/big"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/devca"
)

var (
	sharedOnce sync.Once
	sharedCA   *devca.CA
	sharedErr  error
)

// testCA returns a CA shared by the tests that do not change its options
// (generating RSA-2048 keys takes about 0.1 s each).
func testCA(t testing.TB) *devca.CA {
	t.Helper()
	sharedOnce.Do(func() { sharedCA, sharedErr = devca.NewCA(devca.Options{}) })
	if sharedErr != nil {
		t.Fatalf("NewCA: %v", sharedErr)
	}
	return sharedCA
}

func TestNewCAHierarchy(t *testing.T) {
	ca := testCA(t)
	root := ca.Root.Cert
	if !root.IsCA || !root.BasicConstraintsValid {
		t.Fatalf("root IsCA = %v, want true", root.IsCA)
	}
	if err := root.CheckSignatureFrom(root); err != nil {
		t.Fatalf("root is not self-signed: %v", err)
	}
	tests := []struct {
		name string
		got  devca.KeyPair
		want string
	}{
		{"business", ca.Business, "CN=multicert 開發測試 工商憑證 CA,OU=工商憑證（測試）,O=multicert 開發測試,C=TW"},
		{"citizen", ca.Citizen, "CN=multicert 開發測試 自然人憑證 CA,OU=自然人憑證（測試）,O=multicert 開發測試,C=TW"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.got.Cert
			if got := c.Subject.String(); got != tt.want {
				t.Errorf("subject = %q, want %q", got, tt.want)
			}
			if !c.IsCA || c.MaxPathLen != 0 || !c.MaxPathLenZero {
				t.Errorf("IsCA, MaxPathLen, MaxPathLenZero = %v, %d, %v; want true, 0, true", c.IsCA, c.MaxPathLen, c.MaxPathLenZero)
			}
			if err := c.CheckSignatureFrom(root); err != nil {
				t.Errorf("not signed by the root: %v", err)
			}
			if got := c.PublicKey.(*rsa.PublicKey).N.BitLen(); got != 2048 {
				t.Errorf("key bits = %d, want 2048", got)
			}
		})
	}
}

func TestNewCANotBefore(t *testing.T) {
	start := time.Now().AddDate(-5, 0, 0).Truncate(time.Second)
	ca, err := devca.NewCA(devca.Options{NotBefore: start})
	if err != nil {
		t.Fatalf("NewCA: %v", err)
	}
	for _, c := range []*x509.Certificate{ca.Root.Cert, ca.Business.Cert, ca.Citizen.Cert} {
		if !c.NotBefore.Equal(start) {
			t.Errorf("%s NotBefore = %v, want %v", c.Subject.CommonName, c.NotBefore, start)
		}
	}
	if got, want := ca.Root.Cert.NotAfter, start.AddDate(20, 0, 0); got.Sub(want).Abs() > 10*24*time.Hour {
		t.Errorf("root NotAfter = %v, want about %v", got, want)
	}
}

func TestNewCAKeyBits(t *testing.T) {
	tests := []struct {
		bits    int
		wantErr bool
	}{
		{1024, true},
		{2047, true},
	}
	for _, tt := range tests {
		_, err := devca.NewCA(devca.Options{KeyBits: tt.bits})
		if got := err != nil; got != tt.wantErr {
			t.Errorf("NewCA(KeyBits %d) error = %v, want error %v", tt.bits, err, tt.wantErr)
		}
	}
}

func TestIssue(t *testing.T) {
	ca := testCA(t)
	now := time.Now()
	biz, err := ca.IssueBusiness("04595257", "測試股份有限公司", now.Add(-time.Hour), now.AddDate(1, 0, 0))
	if err != nil {
		t.Fatalf("IssueBusiness: %v", err)
	}
	cit, err := ca.IssueCitizen("王小明", "A123456789", now.Add(-time.Hour), now.AddDate(1, 0, 0))
	if err != nil {
		t.Fatalf("IssueCitizen: %v", err)
	}
	tests := []struct {
		name        string
		card        *devca.Card
		kind        string
		subject     string
		issuer      *x509.Certificate
		keyUsage    x509.KeyUsage
		tokenSerial string
		holder      string
	}{
		{"business", biz, devca.KindBusiness, "SERIALNUMBER=04595257,CN=測試股份有限公司,O=測試股份有限公司,C=TW",
			ca.Business.Cert, x509.KeyUsageDigitalSignature, `^MOEA[0-9]{12}$`, "04595257"},
		{"citizen", cit, devca.KindCitizen, "SERIALNUMBER=6789,CN=王小明,C=TW",
			ca.Citizen.Cert, x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment, `^TP[0-9]{14}$`, "A123456789"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.card.Cert
			if got := c.Subject.String(); got != tt.subject {
				t.Errorf("subject = %q, want %q", got, tt.subject)
			}
			if got, want := c.Issuer.String(), tt.issuer.Subject.String(); got != want {
				t.Errorf("issuer = %q, want %q", got, want)
			}
			if err := c.CheckSignatureFrom(tt.issuer); err != nil {
				t.Errorf("not signed by the intermediate: %v", err)
			}
			if c.KeyUsage != tt.keyUsage {
				t.Errorf("KeyUsage = %b, want %b", c.KeyUsage, tt.keyUsage)
			}
			if !slices.Equal(c.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) {
				t.Errorf("ExtKeyUsage = %v, want [clientAuth]", c.ExtKeyUsage)
			}
			if c.IsCA {
				t.Errorf("IsCA = true, want false")
			}
			if got := len(c.SerialNumber.Bytes()); got != 16 {
				t.Errorf("serial is %d bytes, want 16", got)
			}
			if len(c.CRLDistributionPoints) != 0 {
				t.Errorf("CRLDistributionPoints = %v, want none (not configured)", c.CRLDistributionPoints)
			}
			if len(c.SubjectKeyId) == 0 {
				t.Errorf("SubjectKeyId is empty")
			}
			if !regexp.MustCompile(tt.tokenSerial).MatchString(tt.card.TokenSerial) {
				t.Errorf("TokenSerial = %q, want match %s", tt.card.TokenSerial, tt.tokenSerial)
			}
			if tt.card.Kind != tt.kind || tt.card.Holder != tt.holder {
				t.Errorf("Kind, Holder = %q, %q; want %q, %q", tt.card.Kind, tt.card.Holder, tt.kind, tt.holder)
			}
			if tt.card.Issuer != tt.issuer {
				t.Errorf("Issuer = %v, want the %s intermediate", tt.card.Issuer.Subject, tt.name)
			}
			if !tt.card.Key.Public().(*rsa.PublicKey).Equal(c.PublicKey) {
				t.Errorf("Key does not match the certificate")
			}
			roots := x509.NewCertPool()
			roots.AddCert(ca.Root.Cert)
			inters := x509.NewCertPool()
			inters.AddCert(tt.issuer)
			if _, err := c.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters,
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
	if got := ca.Cards(); !slices.Contains(got, biz) || !slices.Contains(got, cit) {
		t.Errorf("Cards() does not list the issued cards")
	}
}

func TestIssueRejectsBadInput(t *testing.T) {
	ca := testCA(t)
	now := time.Now()
	tests := []struct {
		name  string
		issue func() (*devca.Card, error)
	}{
		{"BAN too short", func() (*devca.Card, error) { return ca.IssueBusiness("1234567", "公司", now, now.Add(time.Hour)) }},
		{"BAN not digits", func() (*devca.Card, error) { return ca.IssueBusiness("1234567A", "公司", now, now.Add(time.Hour)) }},
		{"no company", func() (*devca.Card, error) { return ca.IssueBusiness("04595257", "", now, now.Add(time.Hour)) }},
		{"ID too short", func() (*devca.Card, error) { return ca.IssueCitizen("王小明", "A12345678", now, now.Add(time.Hour)) }},
		{"no name", func() (*devca.Card, error) { return ca.IssueCitizen("", "A123456789", now, now.Add(time.Hour)) }},
	}
	for _, tt := range tests {
		if card, err := tt.issue(); err == nil {
			t.Errorf("%s: got card %v, want an error", tt.name, card.Cert.Subject)
		}
	}
}

func TestCRLDistributionPoint(t *testing.T) {
	ca, err := devca.NewCA(devca.Options{CRLBaseURL: "https://crl.example.test/dev/"})
	if err != nil {
		t.Fatalf("NewCA: %v", err)
	}
	now := time.Now()
	biz, err := ca.IssueBusiness("04595257", "測試公司", now, now.Add(time.Hour))
	if err != nil {
		t.Fatalf("IssueBusiness: %v", err)
	}
	cit, err := ca.IssueCitizen("王小明", "A123456789", now, now.Add(time.Hour))
	if err != nil {
		t.Fatalf("IssueCitizen: %v", err)
	}
	tests := []struct {
		card *devca.Card
		want string
	}{
		{biz, "https://crl.example.test/dev/business.crl"},
		{cit, "https://crl.example.test/dev/citizen.crl"},
	}
	for _, tt := range tests {
		if got := tt.card.Cert.CRLDistributionPoints; !slices.Equal(got, []string{tt.want}) {
			t.Errorf("%s: CRLDistributionPoints = %v, want [%s]", tt.card.Kind, got, tt.want)
		}
	}
}

func TestIssueWith(t *testing.T) {
	ca := testCA(t)
	now := time.Now()
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	noSig := devca.BusinessTemplate("04595257", "測試公司", now, now.Add(time.Hour))
	noSig.KeyUsage = x509.KeyUsageKeyEncipherment
	expired := devca.CitizenTemplate("王小明", "A123456789", now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	tests := []struct {
		name      string
		kind      string
		tmpl      *x509.Certificate
		key       crypto.Signer
		wantUsage x509.KeyUsage
		wantAfter time.Time
		wantEC    bool
	}{
		{"no digitalSignature", devca.KindBusiness, noSig, nil, x509.KeyUsageKeyEncipherment, noSig.NotAfter, false},
		{"expired", devca.KindCitizen, expired, nil, expired.KeyUsage, expired.NotAfter, false},
		{"ECDSA key", devca.KindBusiness, devca.BusinessTemplate("04595257", "測試公司", now, now.Add(time.Hour)), ecKey,
			x509.KeyUsageDigitalSignature, now.Add(time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			card, err := ca.IssueWith(tt.kind, tt.tmpl, tt.key)
			if err != nil {
				t.Fatalf("IssueWith: %v", err)
			}
			if card.Cert.KeyUsage != tt.wantUsage {
				t.Errorf("KeyUsage = %b, want %b", card.Cert.KeyUsage, tt.wantUsage)
			}
			if !card.Cert.NotAfter.Equal(tt.wantAfter.Truncate(time.Second)) {
				t.Errorf("NotAfter = %v, want %v", card.Cert.NotAfter, tt.wantAfter)
			}
			if _, got := card.Cert.PublicKey.(*ecdsa.PublicKey); got != tt.wantEC {
				t.Errorf("ECDSA public key = %v, want %v", got, tt.wantEC)
			}
		})
	}
	if _, err := ca.IssueWith("nhi_card", devca.BusinessTemplate("04595257", "公司", now, now.Add(time.Hour)), nil); err == nil {
		t.Errorf("IssueWith(nhi_card) error = nil, want an error for an unknown kind")
	}
}

func TestCardSign(t *testing.T) {
	ca := testCA(t)
	now := time.Now()
	rsaCard, err := ca.IssueBusiness("04595257", "測試公司", now, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecCard, err := ca.IssueWith(devca.KindCitizen, devca.CitizenTemplate("王小明", "A123456789", now, now.Add(time.Hour)), ecKey)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte("what the card signs"))
	digest := h[:]
	tests := []struct {
		card    *devca.Card
		wantAlg string
		verify  func(sig []byte) bool
	}{
		{rsaCard, devca.AlgRSA, func(sig []byte) bool {
			return rsa.VerifyPKCS1v15(rsaCard.Cert.PublicKey.(*rsa.PublicKey), crypto.SHA256, digest, sig) == nil
		}},
		{ecCard, devca.AlgECDSA, func(sig []byte) bool {
			return ecdsa.VerifyASN1(ecCard.Cert.PublicKey.(*ecdsa.PublicKey), digest, sig)
		}},
	}
	for _, tt := range tests {
		alg, sig, err := tt.card.Sign(digest)
		if err != nil {
			t.Fatalf("Sign: %v", err)
		}
		if alg != tt.wantAlg {
			t.Errorf("algorithm = %q, want %q", alg, tt.wantAlg)
		}
		if !tt.verify(sig) {
			t.Errorf("%s signature does not verify", tt.wantAlg)
		}
	}
}

func TestCRL(t *testing.T) {
	ca := testCA(t)
	now := time.Now().Truncate(time.Second)
	revoked := []*big.Int{big.NewInt(42), new(big.Int).Lsh(big.NewInt(1), 126)}
	tests := []struct {
		kind   string
		issuer *x509.Certificate
		other  *x509.Certificate
	}{
		{devca.KindBusiness, ca.Business.Cert, ca.Citizen.Cert},
		{devca.KindCitizen, ca.Citizen.Cert, ca.Business.Cert},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			der, err := ca.CRL(tt.kind, revoked, now, now.Add(24*time.Hour))
			if err != nil {
				t.Fatalf("CRL: %v", err)
			}
			crl, err := x509.ParseRevocationList(der)
			if err != nil {
				t.Fatalf("ParseRevocationList: %v", err)
			}
			if err := crl.CheckSignatureFrom(tt.issuer); err != nil {
				t.Errorf("CRL not signed by its intermediate: %v", err)
			}
			if err := crl.CheckSignatureFrom(tt.other); err == nil {
				t.Errorf("CRL signature also verifies with the other intermediate")
			}
			if !crl.ThisUpdate.Equal(now) || !crl.NextUpdate.Equal(now.Add(24*time.Hour)) {
				t.Errorf("ThisUpdate, NextUpdate = %v, %v; want %v, %v", crl.ThisUpdate, crl.NextUpdate, now, now.Add(24*time.Hour))
			}
			var got []*big.Int
			for _, e := range crl.RevokedCertificateEntries {
				got = append(got, e.SerialNumber)
			}
			if !slices.EqualFunc(got, revoked, func(a, b *big.Int) bool { return a.Cmp(b) == 0 }) {
				t.Errorf("revoked serials = %v, want %v", got, revoked)
			}
		})
	}
	if _, err := ca.CRL("nhi_card", nil, now, now.Add(time.Hour)); err == nil {
		t.Errorf("CRL(nhi_card) error = nil, want an error")
	}
}
