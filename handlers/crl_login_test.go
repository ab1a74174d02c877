package handlers_test

import (
	"context"
	"crypto/x509"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/internal/devca"
	"github.com/multicert/multicert/internal/metrics"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// TestCertificateLoginAgainstStoredCRL logs a unit in with its 工商憑證
// while the server checks revocation in the stored CRLs (as with --crls):
// accepted while the stored list leaves it out, refused once a newer list
// names it, and refused when the stored list is stale (fail closed).
func TestCertificateLoginAgainstStoredCRL(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		e.srv.Cards.Units[certlogin.KindMOEACA].CRLs = models.CRLTable{DB: db} // before the first request
		ctx := context.Background()
		ca := devCA(t)
		check := certlogin.NewVerifier([]*x509.Certificate{ca.Business.Cert}, nil)
		store := func(thisUpdate, nextUpdate time.Time, revoked ...*big.Int) {
			t.Helper()
			der, err := ca.CRL(devca.KindBusiness, revoked, thisUpdate, nextUpdate)
			if err != nil {
				t.Fatal(err)
			}
			c, err := check.CheckCRL(der)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.store.StoreCRL(ctx, c, "business.crl"); err != nil {
				t.Fatal(err)
			}
		}
		var u models.Unit // demo unit 9 has no account yet
		if err := db.NewSelect().Model(&u).Where("code = ?", demo.UnitCode(9)).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		card, err := ca.IssueBusiness(u.BAN, u.Name, modelstest.Clock.AddDate(-1, 0, 0), modelstest.Clock.AddDate(2, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		login := func() (int, map[string]any) {
			return e.cardClient().signIn(t, "/login/certificate", models.PurposeUnitLogin, card, testOrigin, url.Values{"as_unit": {"1"}})
		}
		now := modelstest.Clock

		store(now.Add(-3*time.Hour), now.Add(24*time.Hour))
		if code, res := e.cardClient().signIn(t, "/register/certificate", models.PurposeRegister, card, testOrigin, url.Values{"unit_code": {u.Code}}); code != http.StatusOK {
			t.Fatalf("register: %d %v", code, res)
		}
		if code, res := login(); code != http.StatusOK || res["redirect"] != "/portal" {
			t.Fatalf("login with the card not on the stored list: %d %v", code, res)
		}

		t.Run("revoked", func(t *testing.T) {
			store(now.Add(-2*time.Hour), now.Add(24*time.Hour), big.NewInt(1), card.Cert.SerialNumber)
			code, res := login()
			if msg, _ := res["error"].(string); code != http.StatusUnauthorized || !strings.Contains(msg, certlogin.ErrRevoked.Message) {
				t.Fatalf("login with a revoked card: %d %v, want 401 %q", code, res, certlogin.ErrRevoked.Message)
			}
		})
		t.Run("stale list", func(t *testing.T) {
			store(now.Add(-time.Hour), now.Add(-time.Minute)) // no longer names the card, but is past due
			code, res := login()
			if msg, _ := res["error"].(string); code != http.StatusUnauthorized || !strings.Contains(msg, certlogin.ErrCRLStale.Message) {
				t.Fatalf("login with a stale stored list: %d %v, want 401 %q", code, res, certlogin.ErrCRLStale.Message)
			}
		})
		t.Run("metrics", func(t *testing.T) {
			body := e.anonymous().get("/metrics").body
			labels := `{issuer="` + ca.Business.Cert.Subject.String() + `",key="` + metrics.CRLKeyLabel(certlogin.IssuerID(ca.Business.Cert)) + `"}`
			for series, want := range map[string]float64{
				"multicert_crl_revoked_serials" + labels:               0,
				"multicert_crl_next_update_timestamp_seconds" + labels: float64(now.Add(-time.Minute).Unix()),
				"multicert_crl_fetched_timestamp_seconds" + labels:     float64(now.Unix()),
			} {
				if got := metric(t, body, series); got != want {
					t.Errorf("%s = %v, want %v", series, got, want)
				}
			}
		})
	})
}
