package models_test

import (
	"context"
	"math/big"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/internal/devca"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// benchSerials is the size of MOICA's CRL: about half a million serials.
const benchSerials = 500_000

var bigCRL struct {
	once    sync.Once
	old     []byte // benchSerials serials
	der     []byte // the next CRL: the same serials and 1,000 more
	serials []*big.Int
	err     error
}

// bigCRLs makes (once) two citizen CRLs of the development CA with
// random 128-bit serials, as MOICA's are: the first of benchSerials, the
// next with 1,000 more.
func bigCRLs(b *testing.B) (old, next []byte, serials []*big.Int) {
	ca, _ := crlCAs(b)
	bigCRL.once.Do(func() {
		rng := rand.New(rand.NewPCG(1, 2))
		bigCRL.serials = make([]*big.Int, benchSerials+1000)
		buf := make([]byte, 16)
		for i := range bigCRL.serials {
			for j := range buf {
				buf[j] = byte(rng.Uint32())
			}
			buf[0] &= 0x7f // positive
			bigCRL.serials[i] = new(big.Int).SetBytes(buf)
		}
		now := modelstest.Clock
		if bigCRL.old, bigCRL.err = ca.CRL(devca.KindCitizen, bigCRL.serials[:benchSerials], now.Add(-2*time.Hour), now.Add(24*time.Hour)); bigCRL.err != nil {
			return
		}
		bigCRL.der, bigCRL.err = ca.CRL(devca.KindCitizen, bigCRL.serials, now.Add(-time.Hour), now.Add(24*time.Hour))
	})
	if bigCRL.err != nil {
		b.Fatal(bigCRL.err)
	}
	return bigCRL.old, bigCRL.der, bigCRL.serials
}

// BenchmarkCRL times, for a CRL of half a million serials: checking its
// signature (parse and verify), loading it into an empty table, replacing
// the stored list by the next CRL (the hourly job's work when the CA has
// published one), and one login's lookup of a serial.
//
//	go test ./models -run '^$' -bench BenchmarkCRL -benchtime 3x
//
// (with MULTICERT_TEST_PG set, PostgreSQL too). The lookups need more than
// 3 runs to be timed well; give them their own run:
//
//	go test ./models -run '^$' -bench 'CRL/.*/lookup' -benchtime 2s
func BenchmarkCRL(b *testing.B) {
	old, next, serials := bigCRLs(b)
	ca, _ := crlCAs(b)
	v := crlVerifier(ca)
	b.Logf("CRL of %d serials: %.1f MB", benchSerials+1000, float64(len(next))/1e6)
	b.Run("check", func(b *testing.B) {
		for b.Loop() {
			if _, err := v.CheckCRL(next); err != nil {
				b.Fatal(err)
			}
		}
	})
	checkedOld, err := v.CheckCRL(old)
	if err != nil {
		b.Fatal(err)
	}
	checked, err := v.CheckCRL(next)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, d := range []models.Dialect{models.SQLite, models.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			db := modelstest.MustOpen(b, d)
			s, _ := modelstest.NewStore(db)
			clear := func() {
				for _, table := range []string{"crl_revoked", "crl_lists"} {
					if _, err := db.NewDelete().Table(table).Where("1 = 1").Exec(ctx); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.Run("load", func(b *testing.B) {
				for b.Loop() {
					b.StopTimer()
					clear()
					b.StartTimer()
					if _, err := s.StoreCRL(ctx, checked, "bench.crl"); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("replace", func(b *testing.B) {
				for b.Loop() {
					b.StopTimer()
					clear()
					if _, err := s.StoreCRL(ctx, checkedOld, "bench.crl"); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					if _, err := s.StoreCRL(ctx, checked, "bench.crl"); err != nil {
						b.Fatal(err)
					}
				}
			})
			// The lookups run on the stored next CRL, also when run alone.
			clear()
			if _, err := s.StoreCRL(ctx, checked, "bench.crl"); err != nil {
				b.Fatal(err)
			}
			table := models.CRLTable{DB: db}
			issuer := certlogin.IssuerID(ca.Citizen.Cert)
			rng := rand.New(rand.NewPCG(3, 4))
			for _, c := range []struct {
				name    string
				revoked bool
			}{{"lookup_revoked", true}, {"lookup_not_revoked", false}} {
				b.Run(c.name, func(b *testing.B) {
					for b.Loop() {
						serial := serials[rng.IntN(len(serials))].Text(16)
						if !c.revoked {
							serial += "0" // 17 bytes: on no list
						}
						st, err := table.CRLStatus(ctx, issuer, serial)
						if err != nil || !st.Stored || st.Revoked != c.revoked {
							b.Fatalf("CRLStatus(%s) = %+v, %v; want revoked %v", serial, st, err, c.revoked)
						}
					}
				})
			}
		})
	}
}
