package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/handlers"
	"github.com/multicert/multicert/internal/agent"
	"github.com/multicert/multicert/internal/agent/sim"
	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/internal/config"
	"github.com/multicert/multicert/internal/devca"
	"github.com/multicert/multicert/models"
)

// DemoPIN is the PIN of every simulated certificate card in the demo.
const DemoPIN = "123456"

// readCerts reads every certificate of the PEM files.
func readCerts(files []string) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for {
			var blk *pem.Block
			blk, b = pem.Decode(b)
			if blk == nil {
				break
			}
			if blk.Type != "CERTIFICATE" {
				continue
			}
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// anchors are the configured CAs: each unit certificate kind's, the
// citizen certificates', and the intermediates that help build chains.
type anchors struct {
	units   map[certlogin.Kind][]*x509.Certificate
	citizen []*x509.Certificate
	inter   []*x509.Certificate
}

// all lists every anchor, for checking CRL signatures.
func (a anchors) all() []*x509.Certificate {
	out := append([]*x509.Certificate(nil), a.citizen...)
	for _, k := range certlogin.UnitKinds {
		out = append(out, a.units[k]...)
	}
	return out
}

// trustAnchors reads the CAs of the configuration, one list per kind; in
// demo mode the development CA's intermediate of each kind is trusted for
// that kind as well.
func trustAnchors(cfg *config.Config, ca *devca.CA) (anchors, error) {
	a := anchors{units: map[certlogin.Kind][]*x509.Certificate{}}
	files := []struct {
		flag  string
		kind  certlogin.Kind
		files []string
		dev   string
	}{
		{"business-ca", certlogin.KindMOEACA, cfg.BusinessCA, devca.KindBusiness},
		{"gca-ca", certlogin.KindGCA, cfg.GCACA, devca.KindGCA},
		{"xca-ca", certlogin.KindXCA, cfg.XCACA, devca.KindXCA},
		{"hca-ca", certlogin.KindHCA, cfg.HCACA, devca.KindHCA},
	}
	for _, f := range files {
		certs, err := readCerts(f.files)
		if err != nil {
			return anchors{}, fmt.Errorf("%s: %w", f.flag, err)
		}
		if ca != nil {
			in, err := ca.Intermediate(f.dev)
			if err != nil {
				return anchors{}, err
			}
			certs = append(certs, in.Cert)
		}
		a.units[f.kind] = certs
	}
	var err error
	if a.citizen, err = readCerts(cfg.CitizenCA); err != nil {
		return anchors{}, fmt.Errorf("citizen-ca: %w", err)
	}
	if a.inter, err = readCerts(cfg.CAIntermediates); err != nil {
		return anchors{}, fmt.Errorf("ca-intermediates: %w", err)
	}
	if ca != nil {
		a.citizen = append(a.citizen, ca.Citizen.Cert)
	}
	return a, nil
}

// cardAuth builds the certificate verifiers from the configuration: one
// per unit certificate kind that has anchors, and one for citizen cards.
// It refuses anchors that are not apart (one CA for two kinds, or a root
// above another kind's CA), which would let a card of one kind pass as
// another. With CRLs configured they look revocation up in the CRLs the
// worker stores in db (crlLoader), never in a CRL parsed here.
func cardAuth(cfg *config.Config, ca *devca.CA, db bun.IDB) (handlers.CardAuth, error) {
	a, err := trustAnchors(cfg, ca)
	if err != nil {
		return handlers.CardAuth{}, err
	}
	setup := func(v *certlogin.Verifier) *certlogin.Verifier {
		v.RequireCRL = cfg.CRLRequired
		if len(cfg.CRLs) > 0 {
			v.CRLs = models.CRLTable{DB: db}
		}
		return v
	}
	units := certlogin.UnitVerifiers{}
	for _, k := range certlogin.UnitKinds {
		if len(a.units[k]) > 0 {
			units[k] = setup(certlogin.NewVerifier(a.units[k], a.inter))
		}
	}
	c := setup(certlogin.NewVerifier(a.citizen, a.inter))
	if err := units.Check(c); err != nil {
		return handlers.CardAuth{}, fmt.Errorf("trust anchors: %w", err)
	}
	return handlers.CardAuth{Units: units, Citizen: c, Origin: cfg.Origin(),
		Agent: handlers.AgentInfo{URL: cfg.AgentURL, MinVersion: cfg.AgentMinVersion, Simulated: ca != nil && cfg.DemoAgent}}, nil
}

// crlFetchTimeout bounds the download of one CRL.
const crlFetchTimeout = 5 * time.Minute

// crlLoader is the worker's loader of the configured CRLs, or nil when
// none is configured. A CRL must be signed by a CA trusted for some kind
// of card; it is stored for that CA alone, and a login of each kind looks
// up the list of the CA that issued the card.
func crlLoader(cfg *config.Config, ca *devca.CA, store *models.Store, log *slog.Logger) (*models.CRLLoader, error) {
	if len(cfg.CRLs) == 0 {
		return nil, nil
	}
	a, err := trustAnchors(cfg, ca)
	if err != nil {
		return nil, err
	}
	return &models.CRLLoader{Store: store, Sources: cfg.CRLs, Log: log,
		Check:  certlogin.NewVerifier(a.all(), a.inter),
		Client: &http.Client{Timeout: crlFetchTimeout}}, nil
}

// demoCards makes (once) and binds the demo's certificate cards, and
// returns the simulated reader holding them with the demo's NHI cards.
func demoCards(ctx context.Context, cfg *config.Config, store *models.Store) (*devca.CA, *sim.Sim, *demo.CardPeople, error) {
	dir := filepath.Join(cfg.DataDir, "devca")
	ca, err := devca.LoadOrCreate(dir, devca.Options{NotBefore: time.Now().AddDate(-1, 0, 0)})
	if err != nil {
		return nil, nil, nil, err
	}
	p, err := demo.People(ctx, store.DB)
	if err != nil {
		return nil, nil, nil, err
	}
	nb, na := time.Now().AddDate(0, -1, 0), time.Now().AddDate(3, 0, 0)
	find := func(kind, holder string, issue func() (*devca.Card, error)) (*devca.Card, bool, error) {
		for _, c := range ca.Cards() {
			if c.Kind == kind && c.Holder == holder && time.Now().Before(c.Cert.NotAfter) {
				return c, false, nil
			}
		}
		c, err := issue()
		return c, true, err
	}
	var u0 models.Unit
	if err := store.DB.NewSelect().Model(&u0).Where("code = ?", p.UnitCode).Scan(ctx); err != nil {
		return nil, nil, nil, err
	}
	unitCard, new1, err := find(devca.KindBusiness, u0.BAN, func() (*devca.Card, error) { return ca.IssueBusiness(u0.BAN, u0.Name, nb, na) })
	if err != nil {
		return nil, nil, nil, err
	}
	freeCard, new2, err := find(devca.KindBusiness, p.FreeUnitBAN, func() (*devca.Card, error) {
		return ca.IssueBusiness(p.FreeUnitBAN, p.FreeUnitName, nb, na)
	})
	if err != nil {
		return nil, nil, nil, err
	}
	citCard, new3, err := find(devca.KindCitizen, p.ClerkIDNo, func() (*devca.Card, error) {
		return ca.IssueCitizenPair(p.ClerkName, p.ClerkIDNo, nb, na)
	})
	if err != nil {
		return nil, nil, nil, err
	}
	// Q3: the unit's renewed business certificate (another card, another
	// serial, the same 統一編號), to try 單位憑證變更作業.
	renewed, new4, err := findOther(ca, devca.KindBusiness, u0.BAN, unitCard, func() (*devca.Card, error) { return ca.IssueBusiness(u0.BAN, u0.Name, nb, na) })
	if err != nil {
		return nil, nil, nil, err
	}
	// Q4: a business certificate of the unit registered with its
	// responsible person's NHI card, to try switching the card type.
	var owner models.Unit
	if err := store.DB.NewSelect().Model(&owner).Where("code = ?", p.OwnerUnit).Scan(ctx); err != nil {
		return nil, nil, nil, err
	}
	switchCard, new5, err := find(devca.KindBusiness, owner.BAN, func() (*devca.Card, error) { return ca.IssueBusiness(owner.BAN, owner.Name, nb, na) })
	if err != nil {
		return nil, nil, nil, err
	}
	// A government agency, a school and a hospital, each with its own kind
	// of unit certificate (政府憑證, 組織及團體憑證, 醫事憑證).
	kindUnits, err := demo.KindUnits(ctx, store.DB)
	if err != nil {
		return nil, nil, nil, err
	}
	devKind := map[certlogin.Kind]string{certlogin.KindGCA: devca.KindGCA, certlogin.KindXCA: devca.KindXCA, certlogin.KindHCA: devca.KindHCA}
	kindCards := map[certlogin.Kind]*devca.Card{}
	newKind := false
	for _, ku := range kindUnits {
		c, isNew, err := find(devKind[ku.Kind], ku.ID, func() (*devca.Card, error) {
			switch ku.Kind {
			case certlogin.KindGCA:
				return ca.IssueGCA(ku.ID, ku.Name, nb, na)
			case certlogin.KindXCA:
				return ca.IssueXCA(ku.ID, ku.Name, nb, na)
			}
			return ca.IssueHCA(ku.ID, ku.Name, nb, na)
		})
		if err != nil {
			return nil, nil, nil, err
		}
		kindCards[ku.Kind], newKind = c, newKind || isNew
	}
	if new1 || new2 || new3 || new4 || new5 || newKind {
		if err := ca.Save(dir); err != nil {
			return nil, nil, nil, err
		}
	}
	info := func(c *devca.Card) models.CertInfo {
		issuer, serial := certlogin.IssuerSerial(c.Cert)
		return models.CertInfo{Issuer: issuer, Serial: serial, Subject: c.Cert.Subject.String(), NotBefore: c.Cert.NotBefore, NotAfter: c.Cert.NotAfter}
	}
	if err := demo.BindCards(ctx, store, info(unitCard), info(citCard)); err != nil {
		return nil, nil, nil, err
	}
	kindInfo := map[certlogin.Kind]models.CertInfo{}
	for k, c := range kindCards {
		kindInfo[k] = info(c)
	}
	if err := demo.BindKindCards(ctx, store, kindInfo); err != nil {
		return nil, nil, nil, err
	}

	s := sim.New(sim.Reader1)
	certCard := func(label, kind string, c *devca.Card) *sim.Card {
		return &sim.Card{Label: label, Type: kind, Cert: c.Cert, Chain: []*x509.Certificate{c.Issuer}, Key: c.Key, PIN: DemoPIN, TokenSerial: c.TokenSerial}
	}
	nhi := func(label string, n models.NHICard) *sim.Card {
		return &sim.Card{Label: label, Type: agent.CardNHI, NHI: &agent.NHIData{CardNo: n.CardNo, Name: n.Name, IDNo: n.IDNo,
			Birth: "1980-01-01", Sex: map[bool]string{true: "M", false: "F"}[n.IDNo[1] == '1'], Issued: "2020-01-01"}}
	}
	s.AddCard(certCard("工商憑證："+p.UnitName, agent.CardBusinessCert, unitCard))
	s.AddCard(certCard("自然人憑證："+p.ClerkName, agent.CardCitizenCert, citCard))
	s.AddCard(nhi("負責人健保卡："+p.Owner.Name, p.Owner))
	s.AddCard(nhi("承辦人健保卡："+p.NHIClerk.Name, p.NHIClerk))
	s.AddCard(certCard("工商憑證（未註冊）："+p.FreeUnitName, agent.CardBusinessCert, freeCard))
	s.AddCard(certCard("工商憑證（換發的新卡）："+p.UnitName, agent.CardBusinessCert, renewed))
	s.AddCard(certCard("工商憑證（健保卡註冊的單位）："+owner.Name, agent.CardBusinessCert, switchCard))
	for _, ku := range kindUnits {
		s.AddCard(certCard(ku.Kind.Name()+"："+ku.Name, agent.CardBusinessCert, kindCards[ku.Kind]))
	}
	p.KindUnits = kindUnits
	return ca, s, p, nil
}

// findOther returns a card of the kind and holder other than not, issuing
// one the first time.
func findOther(ca *devca.CA, kind, holder string, not *devca.Card, issue func() (*devca.Card, error)) (*devca.Card, bool, error) {
	for _, c := range ca.Cards() {
		if c.Kind == kind && c.Holder == holder && c != not && c.Cert.SerialNumber.Cmp(not.Cert.SerialNumber) != 0 && time.Now().Before(c.Cert.NotAfter) {
			return c, false, nil
		}
	}
	c, err := issue()
	return c, true, err
}

// startSimAgent serves the simulated reader's agent API where the pages look
// for the agent. When that address is taken (a real agent runs there), the
// demo goes on without it and says so.
func startSimAgent(ctx context.Context, cfg *config.Config, s *sim.Sim, log *slog.Logger) (func(), error) {
	u, err := url.Parse(cfg.AgentURL)
	if err != nil {
		return nil, err
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" {
		return nil, fmt.Errorf("agent-url %s: the simulated agent listens on the loopback address only", cfg.AgentURL)
	}
	ln, err := net.Listen("tcp", u.Host)
	if err != nil {
		log.Warn("simulated card agent not started: the address is taken (is a real card agent running?)", "addr", u.Host, "err", err)
		return func() {}, nil
	}
	srv := &http.Server{Handler: agent.NewServer(s, agent.Config{Version: agent.Version, AllowedOrigins: []string{cfg.Origin()}, Logger: log}).Handler(),
		ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with Shutdown
	return func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(c) //nolint:errcheck // best effort at exit
	}, nil
}

func printDemoCards(out io.Writer, cfg *config.Config, p *demo.CardPeople) {
	fmt.Fprintf(out, "\nsimulated card reader (模擬讀卡機) at %s — insert cards on %senvironment\n", cfg.AgentURL, strings.TrimSuffix(cfg.Origin(), "/")+"/")
	fmt.Fprintf(out, "  certificate cards PIN: %s; NHI card password: %s\n", DemoPIN, demo.Password)
	fmt.Fprintf(out, "  工商憑證 of %s (unit %s); 自然人憑證 of clerk %s\n", p.UnitName, p.UnitCode, p.ClerkName)
	fmt.Fprintf(out, "  負責人健保卡 of unit %s; 承辦人健保卡 of %s\n", p.OwnerUnit, p.NHIClerk.Name)
	fmt.Fprintf(out, "  unregistered unit for 註冊: %s (統一編號 %s)\n", p.FreeUnitCode, p.FreeUnitBAN)
	fmt.Fprintf(out, "  工商憑證（換發的新卡） of unit %s for 單位憑證變更作業 (Q3); 工商憑證 of unit %s, registered with its NHI card, for switching the card type (Q4)\n", p.UnitCode, p.OwnerUnit)
	for _, ku := range p.KindUnits {
		fmt.Fprintf(out, "  %s of unit %s (%s %s)\n", ku.Kind.Name(), ku.Code, ku.Kind.IDName(), ku.ID)
	}
}
