package models_test

import (
	"context"
	"crypto/x509"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/internal/devca"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

var (
	crlCAOnce sync.Once
	crlCA     *devca.CA
	crlOther  *devca.CA
	crlCAErr  error
)

// crlCAs are a development CA the tests trust and one they do not; RSA
// keys take a while to make, so the binary shares them.
func crlCAs(tb testing.TB) (trusted, other *devca.CA) {
	tb.Helper()
	crlCAOnce.Do(func() {
		opts := devca.Options{NotBefore: modelstest.Clock.AddDate(-2, 0, 0)}
		if crlCA, crlCAErr = devca.NewCA(opts); crlCAErr == nil {
			crlOther, crlCAErr = devca.NewCA(opts)
		}
	})
	if crlCAErr != nil {
		tb.Fatal(crlCAErr)
	}
	return crlCA, crlOther
}

// crlVerifier trusts ca's root and intermediates, at the tests' clock.
func crlVerifier(ca *devca.CA) *certlogin.Verifier {
	v := certlogin.NewVerifier([]*x509.Certificate{ca.Root.Cert}, ca.Intermediates())
	v.Now = func() time.Time { return modelstest.Clock }
	return v
}

// makeCRL is a citizen CRL of ca issued at thisUpdate (its number grows
// with it), due at nextUpdate, listing serials.
func makeCRL(tb testing.TB, ca *devca.CA, thisUpdate, nextUpdate time.Time, serials ...int64) []byte {
	tb.Helper()
	var list []*big.Int
	for _, s := range serials {
		list = append(list, big.NewInt(s))
	}
	der, err := ca.CRL(devca.KindCitizen, list, thisUpdate, nextUpdate)
	if err != nil {
		tb.Fatal(err)
	}
	return der
}

// storeCRL checks der with v and stores it.
func storeCRL(tb testing.TB, s *models.Store, v *certlogin.Verifier, der []byte) ([]models.CRLStored, error) {
	tb.Helper()
	c, err := v.CheckCRL(der)
	if err != nil {
		tb.Fatalf("CheckCRL: %v", err)
	}
	return s.StoreCRL(context.Background(), c, "test.crl")
}

// wantStatus checks what the stored list of the citizen CA says of serial.
func wantCRLStatus(t *testing.T, db bun.IDB, ca *devca.CA, serial int64, want certlogin.CRLStatus) {
	t.Helper()
	got, err := models.CRLTable{DB: db}.CRLStatus(context.Background(), certlogin.IssuerID(ca.Citizen.Cert), big.NewInt(serial).Text(16))
	if err != nil {
		t.Fatal(err)
	}
	if got.Stored != want.Stored || got.Revoked != want.Revoked || !got.NextUpdate.Equal(want.NextUpdate) {
		t.Errorf("serial %x: CRLStatus = %+v, want %+v", serial, got, want)
	}
}

func TestStoreCRL(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ca, _ := crlCAs(t)
		v := crlVerifier(ca)
		s, _ := modelstest.NewStore(db)
		now := modelstest.Clock
		day1, day2 := now.Add(-2*time.Hour).Truncate(time.Second), now.Add(-time.Hour).Truncate(time.Second)
		next1, next2 := now.Add(22*time.Hour).Truncate(time.Second), now.Add(23*time.Hour).Truncate(time.Second)
		first := makeCRL(t, ca, day1, next1, 1, 2, 3, 0xabcdef)
		second := makeCRL(t, ca, day2, next2, 1, 3, 5, 0xabcdef)

		t.Run("NotStored", func(t *testing.T) {
			wantCRLStatus(t, db, ca, 2, certlogin.CRLStatus{})
		})
		t.Run("Load", func(t *testing.T) {
			got, err := storeCRL(t, s, v, first)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Serials != 4 || got[0].Unchanged {
				t.Errorf("StoreCRL = %+v, want one list of 4 serials, changed", got)
			}
			wantCRLStatus(t, db, ca, 2, certlogin.CRLStatus{Stored: true, NextUpdate: next1, Revoked: true})
			wantCRLStatus(t, db, ca, 0xabcdef, certlogin.CRLStatus{Stored: true, NextUpdate: next1, Revoked: true})
			wantCRLStatus(t, db, ca, 4, certlogin.CRLStatus{Stored: true, NextUpdate: next1})
			// The business CA has no list: its certificates are not covered.
			st, err := models.CRLTable{DB: db}.CRLStatus(context.Background(), certlogin.IssuerID(ca.Business.Cert), "2")
			if err != nil || st.Stored {
				t.Errorf("business CA: CRLStatus = %+v, %v; want nothing stored", st, err)
			}
		})
		t.Run("ReplaceWithNewer", func(t *testing.T) {
			got, err := storeCRL(t, s, v, second)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Serials != 4 || got[0].Unchanged {
				t.Errorf("StoreCRL = %+v, want one list of 4 serials, changed", got)
			}
			wantCRLStatus(t, db, ca, 2, certlogin.CRLStatus{Stored: true, NextUpdate: next2}) // taken off the list
			wantCRLStatus(t, db, ca, 5, certlogin.CRLStatus{Stored: true, NextUpdate: next2, Revoked: true})
			wantCRLStatus(t, db, ca, 1, certlogin.CRLStatus{Stored: true, NextUpdate: next2, Revoked: true})
			n, err := db.NewSelect().Table("crl_revoked").Count(context.Background())
			if err != nil || n != 4 {
				t.Errorf("crl_revoked has %d rows (%v), want 4: the first list's serials are gone", n, err)
			}
		})
		t.Run("SameAgainUnchanged", func(t *testing.T) {
			got, err := storeCRL(t, s, v, second)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || !got[0].Unchanged {
				t.Errorf("StoreCRL = %+v, want unchanged", got)
			}
		})
		t.Run("ErrCRLOlder", func(t *testing.T) {
			_, err := storeCRL(t, s, v, first)
			if !errors.Is(err, models.ErrCRLOlder) {
				t.Fatalf("StoreCRL(older) error = %v, want %v", err, models.ErrCRLOlder)
			}
			wantCRLStatus(t, db, ca, 5, certlogin.CRLStatus{Stored: true, NextUpdate: next2, Revoked: true})
			wantCRLStatus(t, db, ca, 2, certlogin.CRLStatus{Stored: true, NextUpdate: next2})
		})
		t.Run("Lists", func(t *testing.T) {
			ls, err := models.CRLLists(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			if len(ls) != 1 || ls[0].Serials != 4 || ls[0].Issuer != ca.Citizen.Cert.Subject.String() || ls[0].Source != "test.crl" ||
				ls[0].Number != big.NewInt(day2.UnixMilli()).String() || !ls[0].ThisUpdate.Equal(day2) {
				t.Errorf("CRLLists = %+v, want the second list", ls)
			}
		})
	})
}

// TestCRLLoader loads CRLs from a file and a URL as the job does, and
// refuses those whose signature does not verify with a trusted CA.
func TestCRLLoader(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ca, other := crlCAs(t)
		s, _ := modelstest.NewStore(db)
		now := modelstest.Clock
		dir := t.TempDir()
		file := filepath.Join(dir, "citizen.crl")
		if err := os.WriteFile(file, makeCRL(t, ca, now.Add(-time.Hour), now.Add(time.Hour), 7), 0o644); err != nil {
			t.Fatal(err)
		}
		business, err := ca.CRL(devca.KindBusiness, []*big.Int{big.NewInt(8)}, now.Add(-time.Hour), now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/business.crl" {
				http.NotFound(w, r)
				return
			}
			w.Write(business)
		}))
		defer srv.Close()
		l := &models.CRLLoader{Store: s, Sources: []string{file, srv.URL + "/business.crl"}, Check: crlVerifier(ca), Client: srv.Client()}
		if err := l.LoadCRLs(context.Background()); err != nil {
			t.Fatalf("LoadCRLs: %v", err)
		}
		wantCRLStatus(t, db, ca, 7, certlogin.CRLStatus{Stored: true, NextUpdate: now.Add(time.Hour).Truncate(time.Second), Revoked: true})
		st, err := models.CRLTable{DB: db}.CRLStatus(context.Background(), certlogin.IssuerID(ca.Business.Cert), "8")
		if err != nil || !st.Stored || !st.Revoked {
			t.Errorf("business CRL from the URL: CRLStatus = %+v, %v; want serial 8 revoked", st, err)
		}

		t.Run("ErrBadSignature", func(t *testing.T) {
			newer := makeCRL(t, ca, now.Add(-30*time.Minute), now.Add(2*time.Hour))
			bad := append([]byte(nil), newer...)
			bad[len(bad)-1] ^= 0xff // the signature's last byte
			untrusted := makeCRL(t, other, now.Add(-30*time.Minute), now.Add(2*time.Hour))
			tests := []struct {
				name string
				der  []byte
				want string
			}{
				{"tampered", bad, "not signed by a configured CA"},
				{"untrusted CA", untrusted, "not signed by a configured CA"},
				{"not a CRL", ca.Citizen.Cert.Raw, "parse CRL"},
			}
			for _, tt := range tests {
				f := filepath.Join(dir, "bad.crl")
				if err := os.WriteFile(f, tt.der, 0o644); err != nil {
					t.Fatal(err)
				}
				l := &models.CRLLoader{Store: s, Sources: []string{f}, Check: crlVerifier(ca)}
				if err := l.LoadCRLs(context.Background()); err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%s: LoadCRLs error = %v, want one saying %q", tt.name, err, tt.want)
				}
			}
			// The stored list is untouched: serial 7 still revoked.
			wantCRLStatus(t, db, ca, 7, certlogin.CRLStatus{Stored: true, NextUpdate: now.Add(time.Hour).Truncate(time.Second), Revoked: true})
		})
		t.Run("MissingSource", func(t *testing.T) {
			l := &models.CRLLoader{Store: s, Sources: []string{filepath.Join(dir, "none.crl"), srv.URL + "/none.crl", file}, Check: crlVerifier(ca)}
			if err := l.LoadCRLs(context.Background()); err == nil {
				t.Error("LoadCRLs with missing sources succeeded, want an error")
			}
		})
	})
}

// TestCRLLoginThroughTable checks certificates as a login does, against the
// stored lists: revoked refused, others let through, and a missing or stale
// list refused (fail closed) with the same message as today.
func TestCRLLoginThroughTable(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ca, _ := crlCAs(t)
		s, _ := modelstest.NewStore(db)
		now := modelstest.Clock
		good, err := ca.IssueCitizen("王小明", "A123456789", now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		revoked, err := ca.IssueCitizen("李大華", "B223456789", now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		v := crlVerifier(ca)
		v.CRLs = models.CRLTable{DB: db}
		check := func(card *devca.Card, at time.Time, want error) {
			t.Helper()
			v.Now = func() time.Time { return at }
			_, err := v.VerifyCertificate(context.Background(), card.Cert.Raw, nil)
			if want == nil && err != nil || want != nil && !errors.Is(err, want) {
				t.Errorf("%s at %v: error = %v, want %v", card.Cert.Subject.CommonName, at, err, want)
			}
		}
		check(good, now, certlogin.ErrCRLStale) // no list stored yet: fail closed
		serial := revoked.Cert.SerialNumber
		der, err := ca.CRL(devca.KindCitizen, []*big.Int{serial}, now.Add(-time.Hour), now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := storeCRL(t, s, v, der); err != nil {
			t.Fatal(err)
		}
		check(good, now, nil)
		check(revoked, now, certlogin.ErrRevoked)
		check(good, now.Add(time.Hour), nil)                               // nextUpdate itself is still good
		check(good, now.Add(time.Hour+time.Second), certlogin.ErrCRLStale) // past it: fail closed
	})
}
