package models

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"sort"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/certlogin"
)

// CRLList is the stored CRL of one CA.
type CRLList struct {
	bun.BaseModel `bun:"table:crl_lists"`

	ID         int64      `bun:"id,pk,autoincrement"`
	IssuerKey  string     `bun:"issuer_key"` // certlogin.IssuerID of the CA
	Issuer     string     `bun:"issuer"`     // the CA's name, for people
	Number     string     `bun:"number"`     // the CRL number in decimal; "" when the CRL has none
	ThisUpdate time.Time  `bun:"this_update"`
	NextUpdate *time.Time `bun:"next_update"` // nil: the CRL has none, and is stale
	Serials    int64      `bun:"serials"`     // how many crl_revoked rows it has
	FetchedAt  time.Time  `bun:"fetched_at"`  // when it was last read from its source, changed or not
	Source     string     `bun:"source"`      // the file or URL it was read from
}

// crlRevoked is one serial of a stored CRL.
type crlRevoked struct {
	bun.BaseModel `bun:"table:crl_revoked"`

	ListID    int64     `bun:"list_id"`
	Serial    string    `bun:"serial"`
	RevokedAt time.Time `bun:"revoked_at"`
	Reason    int       `bun:"reason"` // RFC 5280 CRLReason; 0 also when absent
}

// crlBatch is how many serials one INSERT carries: 1000 rows of 4 values
// stay far below both databases' limits on a statement's size.
const crlBatch = 1000

// ErrCRLOlder refuses a CRL older than the one stored for its CA (a lower
// CRL number, or an earlier thisUpdate): a replayed old list would revive
// certificates revoked since.
var ErrCRLOlder = errors.New("models: the CRL is older than the stored one")

// CRLStored is the outcome of StoreCRL for one CA.
type CRLStored struct {
	Issuer    string
	Number    string
	Serials   int
	Unchanged bool // the stored list was this CRL already: only fetched_at moved
}

// StoreCRL stores a CRL whose signature was checked (certlogin.CheckCRL)
// as the list of each CA that signed it, read from source. Each CA's
// serials are replaced in one transaction, so that a login sees the old
// list or the new one, never a part. A CRL older than the stored one is
// refused with ErrCRLOlder; the same CRL again (same number and
// thisUpdate) only records when it was fetched.
//
// On SQLite the transaction holds the only connection: logins wait for
// the load (seconds for half a million serials).
func (s *Store) StoreCRL(ctx context.Context, c *certlogin.CheckedCRL, source string) ([]CRLStored, error) {
	list := c.List
	number := ""
	if list.Number != nil {
		number = list.Number.String()
	}
	var next *time.Time
	if !list.NextUpdate.IsZero() {
		t := list.NextUpdate.UTC()
		next = &t
	}
	rows := crlRows(list.RevokedCertificateEntries)
	var out []CRLStored
	for _, ca := range c.Signers {
		key := certlogin.IssuerID(ca)
		res := CRLStored{Issuer: list.Issuer.String(), Number: number, Serials: len(rows)}
		err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			now := s.now()
			old := new(CRLList)
			q := tx.NewSelect().Model(old).Where("issuer_key = ?", key)
			if DialectOf(tx) == Postgres {
				q = q.For("UPDATE") // two loaders of one CA take turns
			}
			err := q.Scan(ctx)
			switch {
			case isNoRows(err):
				old = nil
			case err != nil:
				return err
			}
			if old != nil {
				switch crlNewer(number, list.ThisUpdate, old) {
				case -1:
					return fmt.Errorf("%w: number %q of %v, stored %q of %v", ErrCRLOlder, number, list.ThisUpdate, old.Number, old.ThisUpdate)
				case 0:
					res.Unchanged, res.Serials = true, int(old.Serials)
					_, err := tx.NewUpdate().Model(old).Set("fetched_at = ?", now).Set("source = ?", source).WherePK().Exec(ctx)
					return err
				}
			}
			l := &CRLList{IssuerKey: key, Issuer: list.Issuer.String(), Number: number, ThisUpdate: list.ThisUpdate.UTC(),
				NextUpdate: next, Serials: int64(len(rows)), FetchedAt: now, Source: source}
			if old == nil {
				if _, err := tx.NewInsert().Model(l).Returning("id").Exec(ctx); err != nil {
					return err
				}
			} else {
				l.ID = old.ID
				if _, err := tx.NewDelete().Model((*crlRevoked)(nil)).Where("list_id = ?", l.ID).Exec(ctx); err != nil {
					return err
				}
				if _, err := tx.NewUpdate().Model(l).WherePK().Exec(ctx); err != nil {
					return err
				}
			}
			for i := 0; i < len(rows); i += crlBatch {
				batch := rows[i:min(i+crlBatch, len(rows))]
				for j := range batch {
					batch[j].ListID = l.ID
				}
				if _, err := tx.NewInsert().Model(&batch).Exec(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return out, fmt.Errorf("models: store CRL of %s from %s: %w", list.Issuer, source, err)
		}
		out = append(out, res)
	}
	return out, nil
}

// crlRows turns a CRL's entries into rows, sorted by serial (the primary
// key's order, which inserts fastest) and without repeats: a CRL naming a
// serial twice must not fail the load.
func crlRows(entries []x509.RevocationListEntry) []crlRevoked {
	rows := make([]crlRevoked, 0, len(entries))
	for _, e := range entries {
		rows = append(rows, crlRevoked{Serial: e.SerialNumber.Text(16), RevokedAt: e.RevocationTime.UTC(), Reason: e.ReasonCode})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Serial < rows[j].Serial })
	n := 0
	for i := range rows {
		if n > 0 && rows[n-1].Serial == rows[i].Serial {
			continue
		}
		rows[n] = rows[i]
		n++
	}
	return rows[:n]
}

// crlNewer compares a CRL with the stored one: -1 older, 0 the same CRL,
// 1 newer. CRL numbers decide when both have one (RFC 5280 makes them
// grow); otherwise thisUpdate does.
func crlNewer(number string, thisUpdate time.Time, old *CRLList) int {
	n, okN := new(big.Int).SetString(number, 10)
	o, okO := new(big.Int).SetString(old.Number, 10)
	if okN && okO {
		if c := n.Cmp(o); c != 0 {
			return c
		}
	}
	switch {
	case thisUpdate.Before(old.ThisUpdate):
		return -1
	case thisUpdate.After(old.ThisUpdate):
		return 1
	}
	return 0
}

// CRLTable looks revocation up in the stored CRLs: the certlogin.CRLStore
// of a server whose CRLs a CRLLoader keeps.
type CRLTable struct{ DB bun.IDB }

// CRLStatus answers with one indexed query: the CA's list by its unique
// issuer key, the serial by the primary key of crl_revoked.
func (t CRLTable) CRLStatus(ctx context.Context, issuerID, serial string) (certlogin.CRLStatus, error) {
	var row struct {
		NextUpdate *time.Time `bun:"next_update"`
		Revoked    bool       `bun:"revoked"`
	}
	err := t.DB.NewSelect().TableExpr("crl_lists AS l").
		ColumnExpr("l.next_update").
		ColumnExpr("EXISTS (SELECT 1 FROM crl_revoked AS r WHERE r.list_id = l.id AND r.serial = ?) AS revoked", serial).
		Where("l.issuer_key = ?", issuerID).Scan(ctx, &row)
	if isNoRows(err) {
		return certlogin.CRLStatus{}, nil
	}
	if err != nil {
		return certlogin.CRLStatus{}, fmt.Errorf("models: CRL status: %w", err)
	}
	st := certlogin.CRLStatus{Stored: true, Revoked: row.Revoked}
	if row.NextUpdate != nil {
		st.NextUpdate = *row.NextUpdate
	}
	return st, nil
}

// CRLLists returns the stored CRLs, by issuer, for the metrics and the
// operator.
func CRLLists(ctx context.Context, db bun.IDB) ([]CRLList, error) {
	var out []CRLList
	if err := db.NewSelect().Model(&out).Order("issuer", "id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("models: CRL lists: %w", err)
	}
	return out, nil
}

// CRLLoader reads the configured CRLs, checks their signatures and stores
// them: the work of the load_crls job, at start and on a schedule. It
// implements jobs.CRLLoader.
type CRLLoader struct {
	Store   *Store
	Sources []string            // files or http(s) URLs, DER or PEM
	Check   *certlogin.Verifier // trusts every CA whose CRLs may be stored
	Client  *http.Client        // fetches URLs; set a timeout
	Log     *slog.Logger        // nil: slog.Default()
}

// LoadCRLs loads every source. A source that fails (unreadable, a bad
// signature, older than the stored list) is logged and leaves its CA's
// stored list as it was, which goes stale at its nextUpdate and then
// refuses logins; the others are still loaded. The error joins the
// failures.
func (l *CRLLoader) LoadCRLs(ctx context.Context) error {
	log := l.Log
	if log == nil {
		log = slog.Default()
	}
	var errs []error
	for _, src := range l.Sources {
		start := time.Now()
		stored, err := l.load(ctx, src)
		if err != nil {
			log.ErrorContext(ctx, "crl: not loaded; the stored list stays", "source", src, "err", err)
			errs = append(errs, err)
			continue
		}
		for _, s := range stored {
			log.InfoContext(ctx, "crl: loaded", "source", src, "issuer", s.Issuer, "number", s.Number,
				"serials", s.Serials, "unchanged", s.Unchanged, "took", time.Since(start).Round(time.Millisecond))
		}
	}
	return errors.Join(errs...)
}

func (l *CRLLoader) load(ctx context.Context, src string) ([]CRLStored, error) {
	der, err := certlogin.ReadCRL(ctx, l.Client, src)
	if err != nil {
		return nil, err
	}
	c, err := l.Check.CheckCRL(der)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	return l.Store.StoreCRL(ctx, c, src)
}
