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
const devCAUsage = `usage: multicert dev-ca [--dir DIR] [--business BAN:NAME]... [--gca ID:NAME]... [--xca ID:NAME]...
       [--hca CODE:NAME]... [--citizen ID:NAME]... [--softhsm DIR] [--pin PIN]

Creates (once) a development CA in DIR (default <data-dir>/devca): a root and an
intermediate per kind of card: 工商憑證 (MOEACA), 政府憑證 (GCA), 組織及團體憑證
(XCA), 醫事憑證 (HCA) and 自然人憑證 (MOICA). Issues the cards asked for (a
自然人憑證 card holds a signing and an encryption certificate, the encryption one
first), writes fresh CRLs of every kind (valid 7 days) and, with --softhsm, loads
every card's keys and certificates into its own SoftHSM2 token (label = the
card's serial) in a token store under DIR, for the card agent's PKCS#11 signing
without a real card. Never trust this CA outside development and tests.
`

// devCA runs `multicert dev-ca`.
func devCA(ctx context.Context, args []string, dataDir string, out io.Writer) error {
	fs := flag.NewFlagSet("multicert dev-ca", flag.ContinueOnError)
	fs.SetOutput(out)
	dir := fs.String("dir", filepath.Join(dataDir, "devca"), "directory of the development CA")
	softhsm := fs.String("softhsm", "", "load every card into SoftHSM2 tokens in a new token store under this directory")
	pin := fs.String("pin", "123456", "user PIN of the SoftHSM2 tokens (development only)")
	var business, gca, xca, hca, citizen multiFlag
	fs.Var(&business, "business", "issue a 工商憑證 card: 統一編號:公司名稱 (repeatable)")
	fs.Var(&gca, "gca", "issue a 政府憑證 card: 機關識別碼:機關名稱 (repeatable)")
	fs.Var(&xca, "xca", "issue a 組織及團體憑證 card: 組織識別碼:名稱 (repeatable)")
	fs.Var(&hca, "hca", "issue a 醫事憑證 card: 醫事機構代碼:醫事機構名稱 (repeatable)")
	fs.Var(&citizen, "citizen", "issue a 自然人憑證 card with a signing and an encryption certificate: 身分證號:姓名 (repeatable)")
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
	issues := []struct {
		flag  string
		want  string
		vals  multiFlag
		issue func(id, name string) (*devca.Card, error)
	}{
		{"business", "統一編號:公司名稱", business, func(id, name string) (*devca.Card, error) { return ca.IssueBusiness(id, name, nb, na) }},
		{"gca", "機關識別碼:機關名稱", gca, func(id, name string) (*devca.Card, error) { return ca.IssueGCA(id, name, nb, na) }},
		{"xca", "組織識別碼:名稱", xca, func(id, name string) (*devca.Card, error) { return ca.IssueXCA(id, name, nb, na) }},
		{"hca", "醫事機構代碼:醫事機構名稱", hca, func(id, name string) (*devca.Card, error) { return ca.IssueHCA(id, name, nb, na) }},
		{"citizen", "身分證號:姓名", citizen, func(id, name string) (*devca.Card, error) { return ca.IssueCitizenPair(name, id, nb, na) }},
	}
	for _, in := range issues {
		for _, v := range in.vals {
			id, name, ok := strings.Cut(v, ":")
			if !ok {
				return fmt.Errorf("dev-ca: --%s %q: want %s", in.flag, v, in.want)
			}
			if _, err := in.issue(id, name); err != nil {
				return err
			}
		}
	}
	if err := ca.Save(*dir); err != nil {
		return err
	}
	for _, kind := range devca.Kinds {
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
	var crls []string
	for _, kind := range devca.Kinds {
		crls = append(crls, filepath.Join(*dir, kind+".crl"))
	}
	fmt.Fprintf(out, "trust it with: --business-ca %s --gca-ca %s --xca-ca %s --hca-ca %s --citizen-ca %s --crls %s\n",
		filepath.Join(*dir, devca.BusinessCACertFile), filepath.Join(*dir, devca.GCACertFile), filepath.Join(*dir, devca.XCACertFile),
		filepath.Join(*dir, devca.HCACertFile), filepath.Join(*dir, devca.CitizenCACertFile), strings.Join(crls, ","))
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
