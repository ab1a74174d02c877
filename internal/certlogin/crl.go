package certlogin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// CRLStore is where a Verifier looks revocation up when the CRLs are kept
// outside it: the national CRLs (MOICA's list hundreds of thousands of
// serials) are loaded by a background job into an indexed table, never
// parsed at login. models.CRLTable implements it.
type CRLStore interface {
	// CRLStatus returns what the stored list of the CA issuerID (see
	// IssuerID) says of serial (lower-case hexadecimal, as IssuerSerial
	// gives it).
	CRLStatus(ctx context.Context, issuerID, serial string) (CRLStatus, error)
}

// CRLStatus is what a CRLStore knows of one certificate.
type CRLStatus struct {
	Stored     bool      // a list of the issuer is stored; when false the rest is zero
	NextUpdate time.Time // the stored list's nextUpdate: after it, the list is stale
	Revoked    bool      // the stored list names the serial
}

// CheckedCRL is a parsed CRL whose signature verified with one of a
// Verifier's CAs.
type CheckedCRL struct {
	List *x509.RevocationList
	// Signers are the configured CAs whose key verified the signature
	// (normally one); the CRL applies to the certificates each issued.
	Signers []*x509.Certificate
}

// IssuerID identifies a CA by its name and key, as a CRL applies only to
// the certificates issued under the key that signed it: the hexadecimal
// SHA-256 of the raw subject and the raw public key. It is the key under
// which a CRLStore keeps the CA's list.
func IssuerID(ca *x509.Certificate) string {
	h := sha256.Sum256([]byte(issuerKey(ca)))
	return hex.EncodeToString(h[:])
}

// oidDeltaCRLIndicator marks a delta CRL (RFC 5280, 5.2.4).
var oidDeltaCRLIndicator = asn1.ObjectIdentifier{2, 5, 29, 27}

// CheckCRL parses a DER CRL and verifies its signature with the Verifier's
// roots and intermediates (which must be allowed to sign CRLs). A loader
// calls it before storing a CRL; whether the CRL is newer than the stored
// one is the store's to decide. The errors are for the operator's log.
func (v *Verifier) CheckCRL(der []byte) (*CheckedCRL, error) {
	list, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("certlogin: parse CRL: %w", err)
	}
	for _, e := range list.Extensions {
		if e.Id.Equal(oidDeltaCRLIndicator) {
			// A delta lists only the changes since a base CRL: taken for a
			// whole list it would revive every certificate it leaves out.
			return nil, fmt.Errorf("certlogin: CRL of %q is a delta CRL; configure the full CRL", list.Issuer)
		}
	}
	var signers []*x509.Certificate
	for _, c := range v.issuers {
		if bytes.Equal(c.RawSubject, list.RawIssuer) && list.CheckSignatureFrom(c) == nil {
			signers = append(signers, c)
		}
	}
	if len(signers) == 0 {
		return nil, fmt.Errorf("certlogin: CRL of %q is not signed by a configured CA", list.Issuer)
	}
	return &CheckedCRL{List: list, Signers: signers}, nil
}

// stale is the staleness rule of every CRL, loaded or stored: a list is
// good until its nextUpdate, and one without a nextUpdate never is.
func stale(nextUpdate, now time.Time) bool {
	return nextUpdate.IsZero() || now.After(nextUpdate)
}

// checkStored checks leaf against the stored list of issuer. It fails
// closed: no list, a stale list or a store that cannot answer all refuse
// with ErrCRLStale.
func (v *Verifier) checkStored(ctx context.Context, leaf, issuer *x509.Certificate, now time.Time) error {
	_, serial := IssuerSerial(leaf)
	st, err := v.CRLs.CRLStatus(ctx, IssuerID(issuer), serial)
	if err != nil {
		return fail(ErrCRLStale, fmt.Errorf("CRL of %q: %w", issuer.Subject, err))
	}
	if !st.Stored {
		return fail(ErrCRLStale, fmt.Errorf("no CRL stored for %q", issuer.Subject))
	}
	if stale(st.NextUpdate, now) {
		return fail(ErrCRLStale, fmt.Errorf("stored CRL of %q was due %v", issuer.Subject, st.NextUpdate))
	}
	if st.Revoked {
		return ErrRevoked
	}
	return nil
}

// MaxCRLSize bounds a CRL read by ReadCRL. MOICA's lists are about 20 MB.
const MaxCRLSize = 256 << 20

// ReadCRL reads a CRL in DER or PEM from source: an http:// or https://
// URL (a CA's distribution point; the CRL's signature, not the transport,
// is what is trusted) or a file. client fetches URLs; nil means
// http.DefaultClient, which has no timeout, so pass one.
func ReadCRL(ctx context.Context, client *http.Client, source string) ([]byte, error) {
	var b []byte
	if strings.HasPrefix(source, "http://") || strings.HasPrefix(source, "https://") {
		if client == nil {
			client = http.DefaultClient
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, source, nil)
		if err != nil {
			return nil, fmt.Errorf("certlogin: read CRL %s: %w", source, err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("certlogin: read CRL: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("certlogin: read CRL %s: HTTP %s", source, resp.Status)
		}
		if b, err = io.ReadAll(io.LimitReader(resp.Body, MaxCRLSize+1)); err != nil {
			return nil, fmt.Errorf("certlogin: read CRL %s: %w", source, err)
		}
	} else {
		f, err := os.Open(source)
		if err != nil {
			return nil, fmt.Errorf("certlogin: read CRL: %w", err)
		}
		defer f.Close()
		if b, err = io.ReadAll(io.LimitReader(f, MaxCRLSize+1)); err != nil {
			return nil, fmt.Errorf("certlogin: read CRL %s: %w", source, err)
		}
	}
	if len(b) > MaxCRLSize {
		return nil, fmt.Errorf("certlogin: read CRL %s: larger than %d bytes", source, MaxCRLSize)
	}
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("-----BEGIN")) {
		blk, _ := pem.Decode(b)
		if blk == nil {
			return nil, fmt.Errorf("certlogin: read CRL %s: bad PEM", source)
		}
		return blk.Bytes, nil
	}
	if len(b) == 0 {
		return nil, errors.New("certlogin: read CRL " + source + ": empty")
	}
	return b, nil
}
