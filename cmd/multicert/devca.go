package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/multicert/multicert/internal/devca"
)

// devCAUsage documents `multicert dev-ca`.
const devCAUsage = `usage: multicert dev-ca [--dir DIR] [--business BAN:NAME]... [--citizen ID:NAME]... [--softhsm DIR] [--pin PIN]

Creates (once) a development CA in DIR (default <data-dir>/devca): a root, an
intermediate for 工商憑證 and one for 自然人憑證. Issues the cards asked for,
writes fresh CRLs (valid 7 days) and, with --softhsm, loads every card's key and
certificate into its own SoftHSM2 token (label = the card's serial) in a token
store under DIR, for the card agent's PKCS#11 signing without a real card.
Never trust this CA outside development and tests.
`

// devCA runs `multicert dev-ca`.
func devCA(ctx context.Context, args []string, dataDir string, out io.Writer) error {
	fs := flag.NewFlagSet("multicert dev-ca", flag.ContinueOnError)
	fs.SetOutput(out)
	dir := fs.String("dir", filepath.Join(dataDir, "devca"), "directory of the development CA")
	softhsm := fs.String("softhsm", "", "load every card into SoftHSM2 tokens in a new token store under this directory")
	pin := fs.String("pin", "123456", "user PIN of the SoftHSM2 tokens (development only)")
	var business, citizen multiFlag
	fs.Var(&business, "business", "issue a 工商憑證 card: 統一編號:公司名稱 (repeatable)")
	fs.Var(&citizen, "citizen", "issue a 自然人憑證 card: 身分證號:姓名 (repeatable)")
	fs.Usage = func() { fmt.Fprint(out, devCAUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return err
	}
	ca, err := devca.LoadOrCreate(*dir, devca.Options{})
	if err != nil {
		return err
	}
	now := time.Now()
	nb, na := now.AddDate(0, -1, 0), now.AddDate(3, 0, 0)
	for _, b := range business {
		ban, name, ok := strings.Cut(b, ":")
		if !ok {
			return fmt.Errorf("dev-ca: --business %q: want 統一編號:公司名稱", b)
		}
		if _, err := ca.IssueBusiness(ban, name, nb, na); err != nil {
			return err
		}
	}
	for _, c := range citizen {
		id, name, ok := strings.Cut(c, ":")
		if !ok {
			return fmt.Errorf("dev-ca: --citizen %q: want 身分證號:姓名", c)
		}
		if _, err := ca.IssueCitizen(name, id, nb, na); err != nil {
			return err
		}
	}
	if err := ca.Save(*dir); err != nil {
		return err
	}
	for _, kind := range []string{devca.KindBusiness, devca.KindCitizen} {
		crl, err := ca.CRL(kind, nil, now, now.AddDate(0, 0, 7))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(*dir, kind+".crl"), crl, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "development CA in %s\n", *dir)
	for _, c := range ca.Cards() {
		fmt.Fprintf(out, "  %-14s %-10s serial %s  %s\n", c.Kind, c.Holder, c.Cert.SerialNumber.Text(16), c.Cert.Subject)
	}
	fmt.Fprintf(out, "trust it with: --business-ca %s --citizen-ca %s --crls %s,%s\n",
		filepath.Join(*dir, devca.BusinessCACertFile), filepath.Join(*dir, devca.CitizenCACertFile),
		filepath.Join(*dir, devca.KindBusiness+".crl"), filepath.Join(*dir, devca.KindCitizen+".crl"))
	if *softhsm == "" {
		return nil
	}
	if err := os.MkdirAll(*softhsm, 0o700); err != nil {
		return err
	}
	cfg, err := devca.NewSoftHSMConfig(*softhsm)
	if err != nil {
		return err
	}
	if err := cfg.Check(); err != nil {
		return fmt.Errorf("dev-ca: %w (install the Debian packages softhsm2 and opensc)", err)
	}
	for _, c := range ca.Cards() {
		label := c.Cert.SerialNumber.Text(16)
		if err := devca.ImportSoftHSM(ctx, cfg, c, label, *pin, *pin+"-so"); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "SoftHSM2 tokens (PIN %s) for every card: SOFTHSM2_CONF=%s cardagent --pkcs11-module %s …\n", *pin, cfg.ConfPath, cfg.Module)
	return nil
}

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
