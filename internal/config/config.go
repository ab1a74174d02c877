// Package config holds the server's typed configuration: every option has a
// flag, an environment variable (MULTICERT_*), a default and a check.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is the server configuration.
type Config struct {
	Addr        string        // listen address
	DB          string        // database URL: sqlite:PATH, file:PATH or postgres://…
	DataDir     string        // directory for the SQLite file and other local data
	Demo        bool          // seed demo data at start and trust the development CA
	DemoUnits   int           // units the demo seeds
	DemoAgent   bool          // in demo mode, run the simulated card reader's agent at AgentURL
	SessionIdle time.Duration // idle timeout of a session
	LogLevel    string        // debug, info, warn, error

	PublicURL       string   // the portal's origin as browsers see it; signatures are bound to it
	TrustedProxies  []string // addresses or CIDRs of the reverse proxies whose X-Forwarded-* headers are believed
	MetricsNetworks []string // addresses or CIDRs that may read /metrics; others get 404
	AgentURL        string   // where the pages find the local card agent
	AgentMinVersion string   // older agents get error 3003
	AgentDownloads  string   // directory of agent installers listed on 環境說明
	BusinessCA      []string // PEM files of the CAs trusted for units' 工商憑證 (MOEACA)
	GCACA           []string // PEM files of the CAs trusted for units' 政府憑證 (GCA)
	XCACA           []string // PEM files of the CAs trusted for units' 組織及團體憑證 (XCA)
	HCACA           []string // PEM files of the CAs trusted for units' 醫事憑證 (HCA)
	CitizenCA       []string // PEM files of the CAs trusted for clerks' 自然人憑證 (MOICA)
	CAIntermediates []string // PEM files of intermediate CA certificates
	CRLs            []string // CRL files or http(s) URLs (DER or PEM), stored in the database by the worker
	CRLRequired     bool     // refuse certificates whose issuer has no CRL configured

	CRLRefresh time.Duration // how often the worker loads the CRLs again

	SMTPAddr     string // host:port of the SMTP server; empty: mail stays in the outbox
	SMTPFrom     string
	SMTPUsername string
	SMTPPassword string
	SMTPTLS      string // none, starttls or tls

	AuditKeyFile        string // HMAC keys of the audit chain, ID:BASE64 per line; default <data-dir>/audit.key
	AuditKey            string // audit keys given in the environment, read after the file; the last one signs
	AuditCheckpointFile string // the signed checkpoint of the audit chain's head; default <data-dir>/audit-checkpoint.json
	MigrateDB           string // PostgreSQL URL of the schema owner, for migrations; empty: DB migrates

	Role            string        // web, worker or all: what this instance runs (see the Role* constants)
	ShutdownDrain   time.Duration // after SIGTERM, how long /readyz answers 503 while requests are still served
	ShutdownTimeout time.Duration // then, how long in-flight requests and running jobs may take
}

// The roles of an instance (--role). Several instances share one
// PostgreSQL database: web instances serve the pages and only enqueue jobs,
// worker instances run the jobs and serve only /healthz, /readyz and
// /metrics, and all
// does both (one instance alone, or the demo).
const (
	RoleAll    = "all"
	RoleWeb    = "web"
	RoleWorker = "worker"
)

// option describes one setting for flags, environment and the README.
type option struct {
	name, env, def, help string
	set                  func(c *Config, v string) error
	isBool               bool
}

// flagValue holds an option's text until it is checked.
type flagValue struct {
	s      string
	isBool bool
}

func (v *flagValue) String() string     { return v.s }
func (v *flagValue) Set(s string) error { v.s = s; return nil }
func (v *flagValue) IsBoolFlag() bool   { return v.isBool }

var options = []option{
	{"addr", "MULTICERT_ADDR", "127.0.0.1:8080", "listen address (host:port)", func(c *Config, v string) error { c.Addr = v; return nil }, false},
	{"db", "MULTICERT_DB", "", "database URL: postgres://… for PostgreSQL; empty means SQLite in the data directory", func(c *Config, v string) error { c.DB = v; return nil }, false},
	{"data-dir", "MULTICERT_DATA_DIR", "./data", "directory for the SQLite database and local files", func(c *Config, v string) error { c.DataDir = v; return nil }, false},
	{"demo", "MULTICERT_DEMO", "false", "seed demo data at start (idempotent) and print the demo logins", func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		c.Demo = b
		return err
	}, true},
	{"demo-units", "MULTICERT_DEMO_UNITS", "240", "number of demo units seeded with --demo", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		c.DemoUnits = n
		return err
	}, false},
	{"demo-agent", "MULTICERT_DEMO_AGENT", "true", "in demo mode, run a simulated card reader (模擬讀卡機) at --agent-url; false to use a real card agent", func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		c.DemoAgent = b
		return err
	}, true},
	{"session-idle", "MULTICERT_SESSION_IDLE", "30m", "idle timeout of a login session", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		c.SessionIdle = d
		return err
	}, false},
	{"log-level", "MULTICERT_LOG_LEVEL", "info", "log level: debug, info, warn or error", func(c *Config, v string) error { c.LogLevel = v; return nil }, false},
	{"public-url", "MULTICERT_PUBLIC_URL", "", "the portal's origin as browsers see it (scheme://host[:port]); default http://<addr>", func(c *Config, v string) error { c.PublicURL = strings.TrimSuffix(v, "/"); return nil }, false},
	{"trusted-proxies", "MULTICERT_TRUSTED_PROXIES", "", "comma-separated addresses or CIDRs of the reverse proxies in front of the server; only their X-Forwarded-For and X-Forwarded-Proto are believed (empty: none)", func(c *Config, v string) error {
		c.TrustedProxies = splitList(v)
		for _, p := range c.TrustedProxies {
			if _, err := netip.ParsePrefix(p); err != nil {
				if _, err := netip.ParseAddr(p); err != nil {
					return fmt.Errorf("%q is neither an IP address nor a CIDR", p)
				}
			}
		}
		return nil
	}, false},
	{"metrics-networks", "MULTICERT_METRICS_NETWORKS", "127.0.0.1/32,::1/128", "comma-separated addresses or CIDRs that may read the Prometheus metrics at /metrics; anyone else gets 404", func(c *Config, v string) error {
		c.MetricsNetworks = splitList(v)
		return checkAddrs(c.MetricsNetworks)
	}, false},
	{"agent-url", "MULTICERT_AGENT_URL", "http://127.0.0.1:56161", "where the pages find the local card agent (in demo mode the server runs a simulated one there)", func(c *Config, v string) error { c.AgentURL = strings.TrimSuffix(v, "/"); return nil }, false},
	{"agent-min-version", "MULTICERT_AGENT_MIN_VERSION", "1.0.0", "oldest card agent version accepted; older ones get error 3003", func(c *Config, v string) error { c.AgentMinVersion = v; return nil }, false},
	{"agent-downloads", "MULTICERT_AGENT_DOWNLOADS", "", "directory of card agent installers listed on the 環境說明 page with SHA-256 and MD5; default <data-dir>/agent-downloads", func(c *Config, v string) error { c.AgentDownloads = v; return nil }, false},
	{"business-ca", "MULTICERT_BUSINESS_CA", "", "comma-separated PEM files of the issuing CAs (MOEACA) trusted for units' 工商憑證, whose 統一編號 names the unit; give each kind's issuing CA, never the GRCA root every kind shares (demo mode adds the development CA)", func(c *Config, v string) error { c.BusinessCA = splitList(v); return nil }, false},
	{"gca-ca", "MULTICERT_GCA_CA", "", "comma-separated PEM files of the issuing CAs (GCA) trusted for units' 政府憑證, whose agency identifier names the unit (empty: not accepted; demo mode adds the development CA)", func(c *Config, v string) error { c.GCACA = splitList(v); return nil }, false},
	{"xca-ca", "MULTICERT_XCA_CA", "", "comma-separated PEM files of the issuing CAs (XCA) trusted for units' 組織及團體憑證, whose organization identifier names the unit (empty: not accepted; demo mode adds the development CA)", func(c *Config, v string) error { c.XCACA = splitList(v); return nil }, false},
	{"hca-ca", "MULTICERT_HCA_CA", "", "comma-separated PEM files of the issuing CAs (HCA) trusted for units' 醫事憑證, whose 醫事機構代碼 names the unit (empty: not accepted; demo mode adds the development CA)", func(c *Config, v string) error { c.HCACA = splitList(v); return nil }, false},
	{"citizen-ca", "MULTICERT_CITIZEN_CA", "", "comma-separated PEM files of the issuing CAs (MOICA) trusted for clerks' 自然人憑證 (demo mode adds the development CA)", func(c *Config, v string) error { c.CitizenCA = splitList(v); return nil }, false},
	{"ca-intermediates", "MULTICERT_CA_INTERMEDIATES", "", "comma-separated PEM files of intermediate CA certificates", func(c *Config, v string) error { c.CAIntermediates = splitList(v); return nil }, false},
	{"crls", "MULTICERT_CRLS", "", "comma-separated CRLs, files or http(s) URLs (DER or PEM); the worker checks their signatures and stores them in the database at start and every --crl-refresh, and a login looks its serial up there; a certificate whose issuer has no stored list, or a stale one (past its nextUpdate), is refused", func(c *Config, v string) error { c.CRLs = splitList(v); return nil }, false},
	{"crl-refresh", "MULTICERT_CRL_REFRESH", "1h", "how often the worker loads the CRLs of --crls again (at least 1m)", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		c.CRLRefresh = d
		return err
	}, false},
	{"smtp-addr", "MULTICERT_SMTP_ADDR", "", "SMTP server (host:port) that sends the outbox's mail; empty keeps mail in the outbox", func(c *Config, v string) error { c.SMTPAddr = v; return nil }, false},
	{"smtp-from", "MULTICERT_SMTP_FROM", "noreply@multicert.invalid", "sender address of the mail", func(c *Config, v string) error { c.SMTPFrom = v; return nil }, false},
	{"smtp-username", "MULTICERT_SMTP_USERNAME", "", "SMTP user name, when the server wants AUTH", func(c *Config, v string) error { c.SMTPUsername = v; return nil }, false},
	{"smtp-password", "MULTICERT_SMTP_PASSWORD", "", "SMTP password (prefer the environment variable to the flag)", func(c *Config, v string) error { c.SMTPPassword = v; return nil }, false},
	{"smtp-tls", "MULTICERT_SMTP_TLS", "starttls", "none (a mail catcher), starttls or tls", func(c *Config, v string) error { c.SMTPTLS = v; return nil }, false},
	{"crl-required", "MULTICERT_CRL_REQUIRED", "false", "refuse certificates whose issuer has no CRL configured", func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		c.CRLRequired = b
		return err
	}, true},
	{"audit-key-file", "MULTICERT_AUDIT_KEY_FILE", "", "file of the audit chain's HMAC keys, one ID:BASE64 per line, the last one signing; default <data-dir>/audit.key, created (0600) when missing", func(c *Config, v string) error { c.AuditKeyFile = v; return nil }, false},
	{"audit-key", "MULTICERT_AUDIT_KEY", "", "audit keys as ID:BASE64 (comma-separated), read after the key file; set it in the environment, not as a flag", func(c *Config, v string) error { c.AuditKey = v; return nil }, false},
	{"audit-checkpoint-file", "MULTICERT_AUDIT_CHECKPOINT_FILE", "", "where the signed checkpoint of the audit chain's head is written every hour; default <data-dir>/audit-checkpoint.json", func(c *Config, v string) error { c.AuditCheckpointFile = v; return nil }, false},
	{"role", "MULTICERT_ROLE", RoleAll, "what this instance runs: web (pages; jobs only enqueued), worker (background jobs; serves only /healthz, /readyz and /metrics) or all", func(c *Config, v string) error { c.Role = v; return nil }, false},
	{"shutdown-drain", "MULTICERT_SHUTDOWN_DRAIN", "5s", "on SIGTERM, how long /readyz answers 503 while requests are still served, so that a load balancer stops sending them (0s: none)", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		c.ShutdownDrain = d
		return err
	}, false},
	{"shutdown-timeout", "MULTICERT_SHUTDOWN_TIMEOUT", "20s", "after the drain, how long in-flight requests and then running jobs may take before they are cut off (jobs run again later)", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		c.ShutdownTimeout = d
		return err
	}, false},
	{"migrate-db", "MULTICERT_MIGRATE_DB", "", "PostgreSQL URL of the role that owns the schema: migrate and serve migrate with it, then the server runs as --db's role with only the rights it needs", func(c *Config, v string) error { c.MigrateDB = v; return nil }, false},
}

// Parse reads the configuration from args (flags win) and the environment.
func Parse(fs *flag.FlagSet, args []string, getenv func(string) string) (*Config, error) {
	c := &Config{}
	vals := map[string]*flagValue{}
	for _, o := range options {
		v := &flagValue{s: o.def, isBool: o.isBool}
		if e := getenv(o.env); e != "" {
			v.s = e
		}
		vals[o.name] = v
		if fs.Lookup(o.name) != nil {
			// A command's own flag of that name wins (`staff add --role`,
			// `db grant --role`); the option is then read from the environment.
			continue
		}
		fs.Var(v, o.name, o.help+" ($"+o.env+")")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	for _, o := range options {
		if err := o.set(c, vals[o.name].s); err != nil {
			return nil, fmt.Errorf("config: %s (%s): %w", o.name, o.env, err)
		}
	}
	return c, c.validate()
}

func (c *Config) validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("config: addr is empty"))
	}
	// Under a minute only makes sense for trying out the time-out warning.
	if c.SessionIdle < 10*time.Second {
		errs = append(errs, errors.New("config: session-idle must be at least 10s"))
	}
	if c.CRLRefresh < time.Minute {
		errs = append(errs, errors.New("config: crl-refresh must be at least 1m"))
	}
	if c.DemoUnits < 0 {
		errs = append(errs, errors.New("config: demo-units must not be negative"))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("config: log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	for name, u := range map[string]string{"public-url": c.PublicURL, "agent-url": c.AgentURL} {
		if u != "" && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			errs = append(errs, fmt.Errorf("config: %s %q: want http://… or https://…", name, u))
		}
	}
	if c.AgentURL == "" {
		errs = append(errs, errors.New("config: agent-url is empty"))
	}
	if c.DB != "" && !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") &&
		!strings.HasPrefix(c.DB, "sqlite:") && !strings.HasPrefix(c.DB, "file:") {
		errs = append(errs, fmt.Errorf("config: db %q: want postgres://…, sqlite:PATH or file:PATH", c.DB))
	}
	switch c.Role {
	case RoleAll, RoleWeb, RoleWorker:
	default:
		errs = append(errs, fmt.Errorf("config: role %q: want web, worker or all", c.Role))
	}
	if c.ShutdownDrain < 0 || c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("config: shutdown-drain must not be negative and shutdown-timeout must be positive"))
	}
	if c.MigrateDB != "" && (!isPostgres(c.MigrateDB) || !isPostgres(c.DB)) {
		errs = append(errs, errors.New("config: migrate-db is for PostgreSQL: both it and db must be postgres://…"))
	}
	return errors.Join(errs...)
}

func isPostgres(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// checkAddrs accepts addresses and CIDRs.
func checkAddrs(list []string) error {
	for _, p := range list {
		if _, err := netip.ParsePrefix(p); err != nil {
			if _, err := netip.ParseAddr(p); err != nil {
				return fmt.Errorf("%q is neither an IP address nor a CIDR", p)
			}
		}
	}
	return nil
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Origin is the portal's origin: PublicURL, or http://<addr>.
func (c *Config) Origin() string {
	if c.PublicURL != "" {
		return c.PublicURL
	}
	return "http://" + c.Addr
}

// SecureCookies reports whether the portal is served over HTTPS, so that
// cookies are Secure and __Host- prefixed even when a TLS-terminating
// proxy talks plain HTTP to the server.
func (c *Config) SecureCookies() bool { return strings.HasPrefix(c.PublicURL, "https://") }

// DownloadsDir is the directory of agent installers.
func (c *Config) DownloadsDir() string {
	if c.AgentDownloads != "" {
		return c.AgentDownloads
	}
	return filepath.Join(c.DataDir, "agent-downloads")
}

// DatabaseURL returns the database URL, defaulting to SQLite in the data directory.
func (c *Config) DatabaseURL() string {
	if c.DB != "" {
		return c.DB
	}
	return "sqlite:" + filepath.Join(c.DataDir, "multicert.db")
}

// AuditKeyPath is the audit key file.
func (c *Config) AuditKeyPath() string {
	if c.AuditKeyFile != "" {
		return c.AuditKeyFile
	}
	return filepath.Join(c.DataDir, "audit.key")
}

// AuditCheckpointPath is the audit checkpoint file.
func (c *Config) AuditCheckpointPath() string {
	if c.AuditCheckpointFile != "" {
		return c.AuditCheckpointFile
	}
	return filepath.Join(c.DataDir, "audit-checkpoint.json")
}

// RunsJobs reports whether this instance works the background jobs.
func (c *Config) RunsJobs() bool { return c.Role != RoleWeb }

// ServesPages reports whether this instance serves the portal and the console.
func (c *Config) ServesPages() bool { return c.Role != RoleWorker }

// MigrationURL is the database URL migrations run with: MigrateDB, or the
// database URL.
func (c *Config) MigrationURL() string {
	if c.MigrateDB != "" {
		return c.MigrateDB
	}
	return c.DatabaseURL()
}

// Usage lists every option with its environment variable and default, for help output.
func Usage() string {
	var b strings.Builder
	for _, o := range options {
		fmt.Fprintf(&b, "  --%-14s %-24s default %q: %s\n", o.name, o.env, o.def, o.help)
	}
	return b.String()
}

// Getenv is os.Getenv, named for wiring.
var Getenv = os.Getenv
