package jobs_test

import (
	"context"
	"crypto/x509"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/internal/devca"
	"github.com/multicert/multicert/internal/jobs"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// TestLoadCRLsJob: with a CRLLoader the runner stores the configured CRLs
// at start (then every CRLEvery), so that a login finds the revoked serial
// in the table.
func TestLoadCRLsJob(t *testing.T) {
	ca, err := devca.NewCA(devca.Options{NotBefore: modelstest.Clock.AddDate(-1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	now := modelstest.Clock
	der, err := ca.CRL(devca.KindCitizen, []*big.Int{big.NewInt(42)}, now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "citizen.crl")
	if err := os.WriteFile(file, der, 0o644); err != nil {
		t.Fatal(err)
	}
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		store, _ := modelstest.NewStore(db)
		loader := &models.CRLLoader{Store: store, Sources: []string{file}, Log: quiet,
			Check: certlogin.NewVerifier([]*x509.Certificate{ca.Root.Cert}, ca.Intermediates())}
		r, err := jobs.Start(context.Background(), jobs.Fast(jobs.Config{DB: db, Work: &fakeWork{}, Log: quiet, CRLs: loader,
			Now: func() time.Time { return modelstest.Clock }, PollInterval: 20 * time.Millisecond}))
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := r.Stop(sctx); err != nil {
				t.Errorf("stop: %v", err)
			}
		}()
		table := models.CRLTable{DB: db}
		var st certlogin.CRLStatus
		waitFor(t, "the CRL stored by load_crls", func() bool {
			st, err = table.CRLStatus(context.Background(), certlogin.IssuerID(ca.Citizen.Cert), "2a")
			return err == nil && st.Stored
		})
		if !st.Revoked || !st.NextUpdate.Equal(now.Add(time.Hour)) {
			t.Errorf("CRLStatus of serial 42 = %+v, want revoked, due %v", st, now.Add(time.Hour))
		}
	})
}
