package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/handlers"
	"github.com/multicert/multicert/internal/agent/sim"
	"github.com/multicert/multicert/internal/config"
	"github.com/multicert/multicert/internal/devca"
	"github.com/multicert/multicert/internal/jobs"
	"github.com/multicert/multicert/internal/mail"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/policy"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `usage: multicert [command] [flags]

commands:
  serve                 run the server (the default)
  migrate up|down|status
                        apply all pending migrations, revert the newest one, or list them
  demo [--units N] [--filings M] [--audit-events K]
                        add demo data (idempotent) and print the demo logins; a year's work
                        (phone cases, change requests, deregistrations, samples) is added once
  audit verify [--checkpoint FILE]
                        check the audit log's keyed hash chain, and that it reaches the checkpoint
                        (default: the server's checkpoint file); names the first broken event
  audit checkpoint      verify and write a signed checkpoint of the chain's head (--audit-checkpoint-file)
  db grant [--role NAME]
                        PostgreSQL, as the owner (--migrate-db): give the server's role (default: --db's
                        user) its rights, audit_events only SELECT and INSERT
  staff add --username NAME --name 姓名 --role staff|supervisor|auditor|admin [--branch 1-6] [--email ADDR]
                        add a staff account (no --branch: head office); the password is read from the
                        terminal, or from standard input when it is not one
  staff list            list the staff accounts
  staff disable|enable NAME
                        disable (its sessions end) or enable an account
  staff reset-password NAME
                        set a new password (read as for add); it must be changed at the next login
  dev-ca [--help]       make a development CA, cards, CRLs and SoftHSM2 tokens (tests and demos only)
  backup PATH           SQLite: write a consistent copy of the database while it runs, then check
                        the copy (integrity and the audit chain); PostgreSQL: see the README
  version               print the version

flags (every command; environment variables in brackets):
`

func run(ctx context.Context, args []string, out io.Writer, getenv func(string) string) error {
	return runWithInput(ctx, args, os.Stdin, out, getenv)
}

// runWithInput is run with the standard input given (passwords of `staff`).
func runWithInput(ctx context.Context, args []string, stdin io.Reader, out io.Writer, getenv func(string) string) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	if cmd == "dev-ca" {
		dataDir := getenv("MULTICERT_DATA_DIR")
		if dataDir == "" {
			dataDir = "./data"
		}
		return devCA(ctx, args, dataDir, out)
	}
	var sub string
	if (cmd == "migrate" || cmd == "audit" || cmd == "db" || cmd == "staff") && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	var backupPath string
	if cmd == "backup" && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		backupPath, args = args[0], args[1:]
	}
	var sf staffFlags
	if cmd == "staff" && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sf.username, args = args[0], args[1:] // staff disable NAME
	}
	fs := flag.NewFlagSet("multicert "+cmd, flag.ContinueOnError)
	fs.SetOutput(out)
	units, filings, auditEvents := 0, 0, 0
	if cmd == "demo" {
		fs.IntVar(&units, "units", 240, "number of demo units")
		fs.IntVar(&filings, "filings", 0, "number of demo filings (0: 2 per unit)")
		fs.IntVar(&auditEvents, "audit-events", -1, fmt.Sprintf("size of the demo's audit log, with the work's events (-1: %d per unit)", demo.AuditEventsPerUnit))
	}
	var checkpoint, role string
	if cmd == "audit" {
		fs.StringVar(&checkpoint, "checkpoint", "", "audit verify: a checkpoint file (default: --audit-checkpoint-file when it exists)")
	}
	if cmd == "db" {
		fs.StringVar(&role, "role", "", "db grant: the server's PostgreSQL role (default: the user of --db)")
	}
	if cmd == "staff" {
		fs.StringVar(&sf.username, "username", sf.username, "staff: the account's user name")
		fs.StringVar(&sf.name, "name", "", "staff add: the person's name")
		fs.StringVar(&sf.role, "role", "", "staff add: staff, supervisor, auditor or admin")
		fs.StringVar(&sf.branch, "branch", "", "staff add: branch code 1-6; empty for head office (署本部)")
		fs.StringVar(&sf.email, "email", "", "staff add: e-mail address (lockout notices)")
	}
	fs.Usage = func() { fmt.Fprint(out, usage+config.Usage()) }
	cfg, err := config.Parse(fs, args, getenv)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	// Words after the flags, as in `multicert backup --data-dir D PATH`, are
	// taken as if they came first; anything else left over is refused
	// rather than ignored.
	rest := fs.Args()
	take := func(dst *string) {
		if *dst == "" && len(rest) > 0 {
			*dst, rest = rest[0], rest[1:]
		}
	}
	switch cmd {
	case "migrate", "audit", "db":
		take(&sub)
	case "staff":
		take(&sub)
		take(&sf.username)
	case "backup":
		take(&backupPath)
	}
	if len(rest) > 0 {
		return fmt.Errorf("%s: unexpected argument %q (see multicert --help)", cmd, rest[0])
	}
	log := newLogger(out, cfg.LogLevel)

	switch cmd {
	case "version":
		fmt.Fprintln(out, "multicert", version)
		return nil
	case "serve":
		return serve(ctx, cfg, log, out)
	case "migrate":
		return migrate(ctx, cfg, sub, out)
	case "demo":
		keys, err := loadAuditKeys(cfg, true, log)
		if err != nil {
			return err
		}
		return withDB(ctx, cfg, true, func(db *bun.DB) error { return seedDemo(ctx, db, keys, units, filings, auditEvents, out) })
	case "audit":
		return auditCommand(ctx, cfg, sub, checkpoint, log, out)
	case "db":
		return dbCommand(ctx, cfg, sub, role, out)
	case "staff":
		return staffCommand(ctx, cfg, sub, sf, stdin, out, log)
	case "backup":
		return backupCommand(ctx, cfg, backupPath, log, out)
	}
	fs.Usage()
	return fmt.Errorf("unknown command %q", cmd)
}

// demoDist is where scripts/dist writes the agent's installers by default.
const demoDist = "dist/agent"

// downloadsDir is the directory of agent installers. The demo, when its own
// has no manifest.json and none was configured, finds the ones scripts/dist
// built in the working directory; 環境說明 says when there are none.
func downloadsDir(cfg *config.Config, log *slog.Logger) string {
	dir := cfg.DownloadsDir()
	if !cfg.Demo || cfg.AgentDownloads != "" {
		return dir
	}
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err == nil {
		return dir
	}
	if _, err := os.Stat(filepath.Join(demoDist, "manifest.json")); err == nil {
		if abs, err := filepath.Abs(demoDist); err == nil {
			log.Info("demo: agent installers from scripts/dist", "dir", abs)
			return abs
		}
	}
	return dir
}

func newLogger(out io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// openDB connects, retrying for a while so that a server started beside its
// database (docker compose) waits for it.
func openDB(ctx context.Context, url string) (*bun.DB, error) {
	deadline := time.Now().Add(60 * time.Second)
	for {
		db, err := models.Open(ctx, url)
		if err == nil || time.Now().After(deadline) || !strings.HasPrefix(url, "postgres") {
			return db, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

func withDB(ctx context.Context, cfg *config.Config, migrateFirst bool, fn func(*bun.DB) error) error {
	if migrateFirst {
		if err := migrateAll(ctx, cfg, slog.Default()); err != nil {
			return err
		}
	}
	db, err := openDB(ctx, cfg.DatabaseURL())
	if err != nil {
		return err
	}
	defer models.Close(db)
	return fn(db)
}

func migrate(ctx context.Context, cfg *config.Config, sub string, out io.Writer) error {
	owner := *cfg
	owner.DB = cfg.MigrationURL() // the schema's owner migrates
	return withDB(ctx, &owner, false, func(db *bun.DB) error {
		switch sub {
		case "up":
			n, err := models.MigrateUp(ctx, db)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "applied %d migration(s)\n", n)
		case "down":
			ok, err := models.MigrateDown(ctx, db)
			if err != nil {
				return err
			}
			if !ok {
				fmt.Fprintln(out, "nothing to revert")
			} else {
				fmt.Fprintln(out, "reverted the newest migration")
			}
		case "status":
			st, err := models.MigrationStatuses(ctx, db)
			if err != nil {
				return err
			}
			for _, s := range st {
				at := "pending"
				if s.AppliedAt != nil {
					at = "applied " + s.AppliedAt.Format(time.RFC3339)
				}
				fmt.Fprintf(out, "%4d  %-60s  %s\n", s.Version, s.Name, at)
			}
		default:
			return fmt.Errorf("migrate: want up, down or status")
		}
		return nil
	})
}

func seedDemo(ctx context.Context, db *bun.DB, keys *models.AuditKeys, units, filings, auditEvents int, out io.Writer) error {
	start := time.Now()
	store := models.NewStore(db)
	store.AuditKeys = keys
	res, err := demo.Seed(ctx, store, units)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "demo data: added %d units, %d accounts, %d clerks, %d staff in %s\n",
		res.Units, res.Accounts, res.Clerks, res.Staff, time.Since(start).Round(time.Millisecond))
	if filings == 0 {
		filings = 2 * units
	}
	start = time.Now()
	if err := store.EnsureReferenceData(ctx); err != nil {
		return err
	}
	n, err := demo.SeedFilings(ctx, store, filings)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "demo filings: added %d in %s\n", n, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	work, err := demo.SeedWork(ctx, store, auditEvents)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "demo work: added %d phone cases (%d open), %d change requests (%d to review), %d deregistrations (%d to approve), "+
		"%d samples (%d items open), %d audit events in %s\n", work.Cases, work.OpenCases, work.ChangeRequests, work.PendingReviews,
		work.Deregistrations, work.PendingDeregistrations, work.Samples, work.OpenSampleItems, work.AuditEvents, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	if err := models.Analyze(ctx, db); err != nil {
		return err
	}
	fmt.Fprintf(out, "demo analyze: %s\n", time.Since(start).Round(time.Millisecond))
	printLogins(out, res)
	return nil
}

func printLogins(out io.Writer, res *demo.Result) {
	fmt.Fprintf(out, "\ndemo staff logins (password for all: %s):\n", demo.Password)
	for _, l := range res.Logins {
		fmt.Fprintf(out, "  %-15s %-8s %-6s %s\n", l.Username, l.Name, l.Role, l.Branch)
	}
}

func serve(ctx context.Context, cfg *config.Config, log *slog.Logger, out io.Writer) error {
	keys, err := loadAuditKeys(cfg, true, log)
	if err != nil {
		return err
	}
	if err := migrateAll(ctx, cfg, log); err != nil {
		return err
	}
	db, err := openDB(ctx, cfg.DatabaseURL())
	if err != nil {
		return err
	}
	defer models.Close(db)
	store := models.NewStore(db)
	store.SessionIdle = cfg.SessionIdle
	store.AuditKeys = keys
	// SQLite: pages and exports read on their own pool, beside the one
	// writing connection (two per core: reads wait on I/O now and then).
	if store.Reads, err = models.OpenReads(ctx, db, 2*runtime.GOMAXPROCS(0)); err != nil {
		return err
	}
	if store.Reads != nil {
		defer models.Close(store.Reads)
	}
	if _, err := store.MarkAuditKey(ctx); err != nil {
		return err
	}
	if err := store.EnsureReferenceData(ctx); err != nil {
		return err
	}
	var seeded *demo.Result
	if cfg.Demo {
		start := time.Now()
		if seeded, err = demo.Seed(ctx, store, cfg.DemoUnits); err != nil {
			return err
		}
		if _, err := demo.SeedFilings(ctx, store, 2*cfg.DemoUnits); err != nil {
			return err
		}
		if err := models.Analyze(ctx, db); err != nil {
			return err
		}
		log.Info("demo data ready", "added_units", seeded.Units, "took", time.Since(start).Round(time.Millisecond))
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + ln.Addr().String() // the port chosen for :0
	}
	var ca *devca.CA
	var people *demo.CardPeople
	if seeded != nil {
		var s *sim.Sim
		if ca, s, people, err = demoCards(ctx, cfg, store); err != nil {
			return err
		}
		if cfg.DemoAgent {
			stop, err := startSimAgent(ctx, cfg, s, log)
			if err != nil {
				return err
			}
			defer stop()
		}
	}
	cards, err := cardAuth(cfg, ca, store.R())
	if err != nil {
		return err
	}
	crls, err := crlLoader(cfg, ca, store, log)
	if err != nil {
		return err
	}
	runner, err := startJobs(ctx, cfg, db, store, crls, log)
	if err != nil {
		return err
	}
	ready := &handlers.Readiness{}
	if cfg.RunsJobs() {
		ready.Jobs = runner.Running
	}
	deps := handlers.Deps{Store: store, Enforcer: policy.MustNew(), Log: log, Version: version,
		Cards: cards, Downloads: downloadsDir(cfg, log), Jobs: runner, Demo: cfg.Demo,
		SecureCookies: cfg.SecureCookies(), TrustedProxies: cfg.TrustedProxies, MetricsNetworks: cfg.MetricsNetworks, Readiness: ready}
	var app *fiber.App
	if cfg.ServesPages() {
		if app, _, err = handlers.New(deps); err != nil {
			stopJobs(runner, cfg.ShutdownTimeout, log)
			return err
		}
	} else if app, err = handlers.NewHealthApp(deps); err != nil {
		stopJobs(runner, cfg.ShutdownTimeout, log)
		return err
	}
	url := cfg.Origin() + "/"
	fmt.Fprintf(out, "multicert %s listening on %s (role: %s, database: %s)\n", version, url, cfg.Role, redact(cfg.DatabaseURL()))
	if seeded != nil {
		fmt.Fprintf(out, "unit portal: %slogin   bureau console: %sconsole/login\n", url, url)
		printLogins(out, seeded)
		if cfg.DemoAgent {
			printDemoCards(out, cfg, people)
		}
	}

	if cfg.RunsJobs() {
		go purgeSessions(ctx, store, log)
	}
	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln) }()
	select {
	case err := <-errc:
		stopJobs(runner, cfg.ShutdownTimeout, log)
		return err
	case <-ctx.Done():
	}
	return shutdown(cfg, app, runner, ready, errc, log)
}

// shutdown stops the server in the order a load balancer understands:
// /readyz answers 503 while requests are still served for the drain
// period, then no new connection is taken and in-flight requests finish,
// then the running jobs finish, each of the last two within the shutdown
// timeout. A worker serves no traffic to drain: it skips the drain.
func shutdown(cfg *config.Config, app *fiber.App, runner *jobs.Runner, ready *handlers.Readiness, errc <-chan error, log *slog.Logger) error {
	start := time.Now()
	ready.Drain()
	if cfg.ServesPages() && cfg.ShutdownDrain > 0 {
		log.Info("shutdown: draining: /readyz answers 503, requests are still served", "drain", cfg.ShutdownDrain)
		select {
		case <-time.After(cfg.ShutdownDrain):
		case err := <-errc: // the listener failed meanwhile
			stopJobs(runner, cfg.ShutdownTimeout, log)
			return err
		}
	}
	log.Info("shutdown: no new connections; waiting for in-flight requests", "timeout", cfg.ShutdownTimeout)
	if err := app.ShutdownWithTimeout(cfg.ShutdownTimeout); err != nil {
		// Logged, not returned: the stop was asked for, and its exit status
		// should not read as a crash.
		log.Warn("shutdown: in-flight requests cut off", "err", err)
	}
	requestsDone := time.Since(start)
	log.Info("shutdown: requests done; stopping the job client", "took", requestsDone.Round(time.Millisecond))
	stopJobs(runner, cfg.ShutdownTimeout, log)
	took := time.Since(start)
	log.Info("shutdown: done", "took", took.Round(time.Millisecond))
	var drained time.Duration
	if cfg.ServesPages() {
		drained = cfg.ShutdownDrain
	}
	if took > drained+5*time.Second {
		// A load balancer's deadline may be near: say which part waited.
		log.Warn("shutdown: slow", "took", took.Round(time.Millisecond), "drain", drained,
			"requests", (requestsDone - drained).Round(time.Millisecond), "jobs", (took - requestsDone).Round(time.Millisecond))
	}
	return nil
}

// stopJobs stops the job client, letting running jobs finish within
// timeout; after it they are cancelled and run again later.
func stopJobs(runner *jobs.Runner, timeout time.Duration, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := runner.Stop(ctx); err != nil {
		log.Warn("shutdown: stop jobs", "err", err)
	}
}

// outboxSender sends outbox mail over SMTP.
type outboxSender struct{ s *mail.SMTP }

func (o outboxSender) Send(ctx context.Context, m *models.Mail) error {
	return o.s.Send(ctx, m.DedupKey, m.Recipients(), m.Subject, m.Body)
}

// startJobs runs the background work on River: the nightly re-validation
// of filings, changes on their effective date, the mail outbox and, when
// crls is not nil, the loading of the CRLs.
func startJobs(ctx context.Context, cfg *config.Config, db *bun.DB, store *models.Store, crls *models.CRLLoader, log *slog.Logger) (*jobs.Runner, error) {
	var snd models.Sender
	if cfg.SMTPAddr != "" {
		smtp, err := mail.New(mail.Config{Addr: cfg.SMTPAddr, From: cfg.SMTPFrom, Username: cfg.SMTPUsername, Password: cfg.SMTPPassword, TLS: cfg.SMTPTLS})
		if err != nil {
			return nil, err
		}
		snd = outboxSender{smtp}
	} else {
		log.Info("no SMTP server configured (--smtp-addr): mail stays in the outbox")
	}
	jc := jobs.Config{DB: db, Work: store, Sender: snd, Log: log, InsertOnly: !cfg.RunsJobs(),
		Audit: &models.AuditCheckpointer{Store: store, Path: cfg.AuditCheckpointPath()}}
	if crls != nil { // a nil *CRLLoader in the interface would not read as none
		jc.CRLs, jc.CRLEvery = crls, cfg.CRLRefresh
	}
	return jobs.Start(ctx, jc)
}

func purgeSessions(ctx context.Context, store *models.Store, log *slog.Logger) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := store.PurgeExpiredSessions(ctx); err != nil {
				log.Warn("purge sessions", "err", err)
			} else if n > 0 {
				log.Debug("purged expired sessions", "n", n)
			}
		}
	}
}

// redact hides a password in a database URL.
func redact(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.Index(u[i+3:], "@"); j >= 0 {
			cred := u[i+3 : i+3+j]
			if k := strings.Index(cred, ":"); k >= 0 {
				return u[:i+3] + cred[:k] + ":***" + u[i+3+j:]
			}
		}
	}
	return u
}
