package certlogin_test

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/internal/devca"
)

const (
	gcaID   = "2.16.886.101.20003.20065"
	xcaID   = "2.16.886.500.12345"
	hcaCode = "0101090517"
)

// kindFixture is one card of each unit kind from one CA, and the verifiers
// that trust each kind's intermediate alone.
type kindFixture struct {
	ca                  *devca.CA
	moeaca, gca, xca    *devca.Card
	hca                 *devca.Card
	hcaWithBAN          *devca.Card // issued by the HCA CA, carrying a 統一編號 where a 工商憑證 would
	hcaInstitution      *devca.Card // HCA, subject class 醫事機構 (2.16.886.1.100.3.2.21)
	hcaPerson           *devca.Card // HCA 醫事人員卡: subject class 2.16.886.1.100.3.1.7, an ID as serialNumber
	gcaAsOID            *devca.Card // GCA, identifier encoded as an OBJECT IDENTIFIER
	mismatch            *devca.Card // MOEACA, directory attribute and serialNumber differ
	citizenPair         *devca.Card
	verifiers           certlogin.UnitVerifiers
	citizen, misplaced  *certlogin.Verifier
	now                 time.Time
	notBefore, notAfter time.Time
}

var (
	kindOnce sync.Once
	kindFix  kindFixture
	kindErr  error
)

func getKinds(t testing.TB) *kindFixture {
	t.Helper()
	kindOnce.Do(func() { kindErr = makeKinds(&kindFix) })
	if kindErr != nil {
		t.Fatalf("fixture: %v", kindErr)
	}
	return &kindFix
}

func makeKinds(f *kindFixture) error {
	var err error
	f.now = time.Now()
	f.notBefore, f.notAfter = f.now.Add(-time.Hour), f.now.AddDate(1, 0, 0)
	if f.ca, err = devca.NewCA(devca.Options{}); err != nil {
		return err
	}
	keep := func(c *devca.Card, e error) *devca.Card {
		if err == nil {
			err = e
		}
		return c
	}
	nb, na := f.notBefore, f.notAfter
	f.moeaca = keep(f.ca.IssueBusiness(ban, "測試股份有限公司", nb, na))
	f.gca = keep(f.ca.IssueGCA(gcaID, "測試市政府", nb, na))
	f.xca = keep(f.ca.IssueXCA(xcaID, "測試大學", nb, na))
	f.hca = keep(f.ca.IssueHCA(hcaCode, "測試醫院", nb, na))
	f.hcaWithBAN = keep(f.ca.IssueWith(devca.KindHCA, devca.BusinessTemplate(ban, "測試醫院", nb, na), nil))
	ext, e := certlogin.DirectoryAttributesExtension([]certlogin.DirectoryAttribute{{Type: certlogin.OIDOrganizationID, Value: gcaID, AsOID: true}})
	if e != nil {
		return e
	}
	tmpl := devca.OrgTemplate(gcaID, "測試縣政府", nb, na)
	tmpl.ExtraExtensions = []pkix.Extension{{Id: certlogin.OIDSubjectDirectoryAttributes, Value: ext}}
	f.gcaAsOID = keep(f.ca.IssueWith(devca.KindGCA, tmpl, nil))
	classed := func(class, serial string) *x509.Certificate {
		ext, e := certlogin.DirectoryAttributesExtension([]certlogin.DirectoryAttribute{{Type: certlogin.OIDSubjectClass, Value: class, AsOID: true}})
		if e != nil && err == nil {
			err = e
		}
		tmpl := devca.HCATemplate(serial, "測試醫院", nb, na)
		tmpl.ExtraExtensions = []pkix.Extension{{Id: certlogin.OIDSubjectDirectoryAttributes, Value: ext}}
		return tmpl
	}
	f.hcaInstitution = keep(f.ca.IssueWith(devca.KindHCA, classed("2.16.886.1.100.3.2.21", hcaCode), nil))
	f.hcaPerson = keep(f.ca.IssueWith(devca.KindHCA, classed("2.16.886.1.100.3.1.7", "A123456789"), nil))
	mis := devca.BusinessTemplate(ban, "測試公司", nb, na)
	mis.ExtraExtensions = devca.DirectoryAttributes(devca.OIDUniformOrganizationID, "10458575")
	f.mismatch = keep(f.ca.IssueWith(devca.KindBusiness, mis, nil))
	f.citizenPair = keep(f.ca.IssueCitizenPair("王小明", "A123456789", nb, na))
	if err != nil {
		return err
	}
	at := func(v *certlogin.Verifier) *certlogin.Verifier {
		v.Now = func() time.Time { return f.now }
		return v
	}
	one := func(c *x509.Certificate) *certlogin.Verifier {
		return at(certlogin.NewVerifier([]*x509.Certificate{c}, nil))
	}
	f.verifiers = certlogin.UnitVerifiers{
		certlogin.KindMOEACA: one(f.ca.Business.Cert),
		certlogin.KindGCA:    one(f.ca.GCA.Cert),
		certlogin.KindXCA:    one(f.ca.XCA.Cert),
		certlogin.KindHCA:    one(f.ca.HCA.Cert),
	}
	f.citizen = one(f.ca.Citizen.Cert)
	// The shared root as an anchor: every kind chains to it.
	f.misplaced = at(certlogin.NewVerifier([]*x509.Certificate{f.ca.Root.Cert}, f.ca.Intermediates()))
	return nil
}

func TestUnitID(t *testing.T) {
	t.Parallel()
	f := getKinds(t)
	tests := []struct {
		name string
		kind certlogin.Kind
		card *devca.Card
		want string // "" for ErrNoUnitID or ErrNotBusinessCert
	}{
		{"MOEACA", certlogin.KindMOEACA, f.moeaca, ban},
		{"GCA", certlogin.KindGCA, f.gca, gcaID},
		{"GCA identifier as an OID", certlogin.KindGCA, f.gcaAsOID, gcaID},
		{"XCA", certlogin.KindXCA, f.xca, xcaID},
		{"HCA", certlogin.KindHCA, f.hca, hcaCode},
		// Each kind reads its own field only.
		{"a 工商憑證 read as HCA", certlogin.KindHCA, f.moeaca, ""},
		{"an HCA card read as MOEACA", certlogin.KindMOEACA, f.hca, ""},
		{"an HCA card read as GCA", certlogin.KindGCA, f.hca, ""},
		{"a GCA card read as MOEACA", certlogin.KindMOEACA, f.gca, ""},
		{"a GCA card read as HCA", certlogin.KindHCA, f.gca, ""},
		{"an HCA card with a 統一編號 read as HCA", certlogin.KindHCA, f.hcaWithBAN, ""},
		{"HCA of subject class 醫事機構", certlogin.KindHCA, f.hcaInstitution, hcaCode},
		// A professional's card under the hospitals' anchor, whose
		// serialNumber (an ID number) has the form of a 醫事機構代碼.
		{"HCA 醫事人員卡", certlogin.KindHCA, f.hcaPerson, ""},
		{"directory attribute and serialNumber differ", certlogin.KindMOEACA, f.mismatch, ""},
		{"a citizen card read as MOEACA", certlogin.KindMOEACA, f.citizenPair, ""},
		{"not a unit kind", certlogin.KindMOICA, f.moeaca, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := certlogin.UnitID(tt.kind, tt.card.Cert)
			if tt.want == "" {
				if err == nil || (!errors.Is(err, certlogin.ErrNoUnitID) && !errors.Is(err, certlogin.ErrNotBusinessCert) && !errors.Is(err, certlogin.ErrPersonalCert)) {
					t.Fatalf("UnitID = %q, %v; want a refusal", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("UnitID = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// signed is a login in which card signed this origin and nonce.
func signed(t *testing.T, card *devca.Card) certlogin.Input {
	t.Helper()
	return login(t, card, origin, nonce)
}

func TestUnitVerifiersKind(t *testing.T) {
	t.Parallel()
	f := getKinds(t)
	ctx := context.Background()
	for _, tt := range []struct {
		card *devca.Card
		want certlogin.Kind
	}{
		{f.moeaca, certlogin.KindMOEACA}, {f.gca, certlogin.KindGCA}, {f.xca, certlogin.KindXCA}, {f.hca, certlogin.KindHCA},
		// The kind comes from the anchor, whatever the subject says.
		{f.hcaWithBAN, certlogin.KindHCA},
	} {
		kind, cert, err := f.verifiers.Verify(ctx, signed(t, tt.card))
		if err != nil || kind != tt.want || cert == nil {
			t.Errorf("%s: Verify = %q, %v; want %q", tt.card.Cert.Subject, kind, err, tt.want)
		}
	}

	t.Run("ErrUntrusted for a citizen card", func(t *testing.T) {
		if _, _, err := f.verifiers.Verify(ctx, signed(t, f.citizenPair)); !errors.Is(err, certlogin.ErrUntrusted) {
			t.Fatalf("Verify = %v, want ErrUntrusted", err)
		}
	})
	t.Run("ErrUntrusted for a unit card at the citizen verifier", func(t *testing.T) {
		if _, err := f.citizen.Verify(ctx, signed(t, f.hca)); !errors.Is(err, certlogin.ErrUntrusted) {
			t.Fatalf("Verify = %v, want ErrUntrusted", err)
		}
	})
	t.Run("a kind without a verifier is not accepted", func(t *testing.T) {
		only := certlogin.UnitVerifiers{certlogin.KindMOEACA: f.verifiers[certlogin.KindMOEACA]}
		if _, _, err := only.Verify(ctx, signed(t, f.gca)); !errors.Is(err, certlogin.ErrUntrusted) {
			t.Fatalf("Verify = %v, want ErrUntrusted", err)
		}
	})
	t.Run("ErrBadSignature names no other kind", func(t *testing.T) {
		in := signed(t, f.xca)
		in.Nonce = []byte("another nonce, another login....")
		if kind, _, err := f.verifiers.Verify(ctx, in); !errors.Is(err, certlogin.ErrBadSignature) || kind != certlogin.KindXCA {
			t.Fatalf("Verify = %q, %v; want xca, ErrBadSignature", kind, err)
		}
	})
	t.Run("ErrMalformed", func(t *testing.T) {
		in := signed(t, f.gca)
		in.CertDER = []byte("junk")
		if _, _, err := f.verifiers.Verify(ctx, in); !errors.Is(err, certlogin.ErrMalformed) {
			t.Fatalf("Verify = %v, want ErrMalformed", err)
		}
	})
	t.Run("VerifyCertificate", func(t *testing.T) {
		kind, _, err := f.verifiers.VerifyCertificate(ctx, f.hca.Cert.Raw, nil)
		if err != nil || kind != certlogin.KindHCA {
			t.Fatalf("VerifyCertificate = %q, %v", kind, err)
		}
	})
}

// TestUnitVerifiersOverlap: a root shared by every kind configured as one
// kind's anchor makes that kind accept the others' cards; Check refuses
// the configuration and Verify refuses a card that chains to two kinds.
func TestUnitVerifiersOverlap(t *testing.T) {
	t.Parallel()
	f := getKinds(t)
	if err := f.verifiers.Check(f.citizen); err != nil {
		t.Fatalf("Check of separate anchors: %v", err)
	}
	bad := certlogin.UnitVerifiers{}
	for k, v := range f.verifiers {
		bad[k] = v
	}
	bad[certlogin.KindMOEACA] = f.misplaced
	if err := bad.Check(); err == nil {
		t.Error("Check with the root as MOEACA's anchor: want an error")
	}
	if _, _, err := bad.Verify(context.Background(), signed(t, f.hca)); !errors.Is(err, certlogin.ErrUntrusted) {
		t.Errorf("Verify of an HCA card chaining to two kinds = %v, want ErrUntrusted", err)
	}
	same := certlogin.UnitVerifiers{certlogin.KindGCA: f.verifiers[certlogin.KindGCA], certlogin.KindXCA: f.verifiers[certlogin.KindGCA]}
	if err := same.Check(); err == nil {
		t.Error("Check with one anchor for two kinds: want an error")
	}
	if err := f.verifiers.Check(f.misplaced); err == nil {
		t.Error("Check with the root as the citizen anchor: want an error")
	}
}

func TestIDSuffixFromDirectoryAttributes(t *testing.T) {
	t.Parallel()
	f := getKinds(t)
	got, err := certlogin.IDSuffixFromCert(f.citizenPair.Cert)
	if err != nil || got != "6789" {
		t.Fatalf("IDSuffixFromCert = %q, %v; want 6789", got, err)
	}
	attrs, err := certlogin.DirectoryAttributes(f.citizenPair.Cert)
	if err != nil || len(attrs[certlogin.OIDIDSuffix.String()]) != 1 {
		t.Fatalf("DirectoryAttributes = %v, %v", attrs, err)
	}
}

func TestKindNames(t *testing.T) {
	t.Parallel()
	for _, k := range append(certlogin.UnitKinds, certlogin.KindMOICA) {
		if !k.Valid() || k.Name() == "憑證" || k.IDName() == "識別碼" {
			t.Errorf("%q: Valid %v, Name %q, IDName %q", k, k.Valid(), k.Name(), k.IDName())
		}
	}
	if certlogin.Kind("grca").Valid() {
		t.Error(`Kind("grca").Valid() = true`)
	}
}
