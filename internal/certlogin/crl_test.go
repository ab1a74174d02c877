package certlogin_test

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/internal/devca"
)

// fakeStore answers CRLStatus from a map of issuer ID → list.
type fakeStore struct {
	lists map[string]fakeList
	err   error
	asked []string // issuer ID and serial of each call
}

type fakeList struct {
	next    time.Time
	revoked map[string]bool
}

func (s *fakeStore) CRLStatus(_ context.Context, issuerID, serial string) (certlogin.CRLStatus, error) {
	s.asked = append(s.asked, issuerID+" "+serial)
	if s.err != nil {
		return certlogin.CRLStatus{}, s.err
	}
	l, ok := s.lists[issuerID]
	if !ok {
		return certlogin.CRLStatus{}, nil
	}
	return certlogin.CRLStatus{Stored: true, NextUpdate: l.next, Revoked: l.revoked[serial]}, nil
}

// TestVerifyWithCRLStore checks revocation through a CRLStore: the serial
// asked for is the leaf's, under its issuer's ID; a missing or stale list
// and a failing store refuse (fail closed) whatever RequireCRL says.
func TestVerifyWithCRLStore(t *testing.T) {
	f := getFixture(t)
	issuer := certlogin.IssuerID(f.business.Issuer)
	_, revokedSerial := certlogin.IssuerSerial(f.revoked.Cert)
	fresh := fakeList{next: f.now.Add(time.Hour), revoked: map[string]bool{revokedSerial: true}}
	tests := []struct {
		name  string
		store *fakeStore
		card  *devca.Card
		want  error
	}{
		{"not revoked", &fakeStore{lists: map[string]fakeList{issuer: fresh}}, f.business, nil},
		{"revoked", &fakeStore{lists: map[string]fakeList{issuer: fresh}}, f.revoked, certlogin.ErrRevoked},
		{"no list stored", &fakeStore{}, f.business, certlogin.ErrCRLStale},
		{"another CA's list only", &fakeStore{lists: map[string]fakeList{certlogin.IssuerID(f.citizen.Issuer): fresh}}, f.business, certlogin.ErrCRLStale},
		{"stale list", &fakeStore{lists: map[string]fakeList{issuer: {next: f.now.Add(-time.Second)}}}, f.business, certlogin.ErrCRLStale},
		{"stale list naming it", &fakeStore{lists: map[string]fakeList{issuer: {next: f.now.Add(-time.Second), revoked: fresh.revoked}}}, f.revoked, certlogin.ErrCRLStale},
		{"no nextUpdate", &fakeStore{lists: map[string]fakeList{issuer: {}}}, f.business, certlogin.ErrCRLStale},
		{"store fails", &fakeStore{err: errors.New("database away")}, f.business, certlogin.ErrCRLStale},
	}
	for _, tt := range tests {
		v := f.verifier()
		v.CRLs = tt.store
		_, err := v.Verify(t.Context(), login(t, tt.card, origin, nonce))
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: Verify error = %v, want %v", tt.name, err, tt.want)
		}
		_, serial := certlogin.IssuerSerial(tt.card.Cert)
		if len(tt.store.asked) != 1 || tt.store.asked[0] != issuer+" "+serial {
			t.Errorf("%s: the store was asked %q, want once %q", tt.name, tt.store.asked, issuer+" "+serial)
		}
	}
	// A CRL added to memory does not count once a store is set.
	v := f.verifier()
	v.CRLs = &fakeStore{lists: map[string]fakeList{issuer: fresh}}
	addCRL(t, v, crl(t, f.ca, devca.KindBusiness, f.now, f.now.Add(time.Hour), f.business.Cert.SerialNumber))
	if _, err := v.Verify(t.Context(), login(t, f.business, origin, nonce)); err != nil {
		t.Errorf("Verify with a store and an in-memory CRL naming the card: %v, want the store's answer (nil)", err)
	}
}

func TestCheckCRL(t *testing.T) {
	f := getFixture(t)
	v := f.verifier()
	c, err := v.CheckCRL(crl(t, f.ca, devca.KindCitizen, f.now, f.now.Add(time.Hour), big.NewInt(5)))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Signers) != 1 || !c.Signers[0].Equal(f.ca.Citizen.Cert) || len(c.List.RevokedCertificateEntries) != 1 {
		t.Errorf("CheckCRL = %d signers, %d entries; want the citizen intermediate and 1 entry", len(c.Signers), len(c.List.RevokedCertificateEntries))
	}
	if certlogin.IssuerID(f.ca.Citizen.Cert) == certlogin.IssuerID(f.other.Citizen.Cert) {
		t.Error("two CAs of the same name have the same IssuerID")
	}

	inter, err := f.ca.Intermediate(devca.KindBusiness)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := asn1.Marshal(big.NewInt(1))
	delta, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(2), ThisUpdate: f.now, NextUpdate: f.now.Add(time.Hour),
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 27}, Critical: true, Value: base}}}, inter.Cert, inter.Key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.CheckCRL(delta); err == nil || !strings.Contains(err.Error(), "delta") {
		t.Errorf("CheckCRL(delta CRL) error = %v, want one about a delta CRL", err)
	}
	if err := v.AddCRL(delta); err == nil {
		t.Error("AddCRL(delta CRL) succeeded, want an error")
	}
}

func TestReadCRL(t *testing.T) {
	f := getFixture(t)
	der := crl(t, f.ca, devca.KindBusiness, f.now, f.now.Add(time.Hour))
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ca.crl" {
			w.Write(der)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	ok := []string{
		write("der.crl", der),
		write("pem.crl", pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})),
		srv.URL + "/ca.crl",
	}
	for _, src := range ok {
		got, err := certlogin.ReadCRL(t.Context(), srv.Client(), src)
		if err != nil || string(got) != string(der) {
			t.Errorf("ReadCRL(%s) = %d bytes, %v; want the CRL's %d bytes", src, len(got), err, len(der))
		}
	}
	for _, src := range []string{filepath.Join(dir, "none.crl"), srv.URL + "/none.crl", write("empty.crl", nil), write("bad.pem", []byte("-----BEGIN X509 CRL-----\nnot base64"))} {
		if _, err := certlogin.ReadCRL(t.Context(), srv.Client(), src); err == nil {
			t.Errorf("ReadCRL(%s) succeeded, want an error", src)
		}
	}
}
