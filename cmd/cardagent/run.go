package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/multicert/multicert/internal/agent"
)

// version is set at build time with -ldflags "-X main.version=…". A
// development build says it is agent.Version plus "-dev" rather than just
// "dev", which the portal's version check (MULTICERT_AGENT_MIN_VERSION,
// default agent.Version) would reject as too old.
var version = agent.Version + "-dev"

const usage = `用法：cardagent [--addr 127.0.0.1:56161] --origin https://portal.example [--origin …]
                 [--pkcs11-module 路徑] [--reader 讀卡機名稱] [--version]

健保署多憑證讀卡程式：在本機 127.0.0.1 提供 API，讓 --origin 列出的網站讀取讀卡機中的卡片。

參數：
`

// originList collects repeated --origin flags.
type originList []string

func (o *originList) String() string { return strings.Join(*o, ",") }

func (o *originList) Set(s string) error {
	c, err := agent.ParseOrigin(s)
	if err != nil {
		return err
	}
	*o = append(*o, c)
	return nil
}

// openBackend opens the card access; tests replace it.
var openBackend = openHardware

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("cardagent", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", agent.DefaultAddr, "listen address: 127.0.0.1, [::1] or localhost, with a port")
	var origins originList
	fs.Var(&origins, "origin", "a web origin allowed to use the agent, e.g. https://portal.example (repeatable)")
	module := fs.String("pkcs11-module", defaultModule(os.Getenv), "the certificate card's PKCS#11 module (HiCOS); env MULTICERT_PKCS11_MODULE")
	readerFilter := fs.String("reader", "", "use only the card readers whose name contains this text (e.g. when several readers are plugged in)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprint(stdout, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("多餘的參數：%s", strings.Join(fs.Args(), " "))
	}
	if *showVersion {
		fmt.Fprintln(stdout, "cardagent", version)
		return nil
	}
	if len(origins) == 0 {
		return errors.New("請以 --origin 指定允許使用讀卡程式的網站，例如 --origin https://portal.example")
	}

	log := slog.New(slog.NewTextHandler(stdout, nil))
	ln, err := listenLoopback(ctx, *addr)
	if err != nil {
		return err
	}
	defer ln.Close()

	backend, closeBackend, err := openBackend(*module, log)
	if err != nil {
		return err
	}
	defer closeBackend()
	if *readerFilter != "" {
		backend = filterReaders(backend, *readerFilter)
	}

	srv := agent.NewServer(backend, agent.Config{
		Version:        version,
		AllowedOrigins: origins,
		Logger:         log,
	})
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute, // a sign waits for the card
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("cardagent listening", "addr", "http://"+ln.Addr().String(), "version", version, "origins", origins.String())

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("cardagent shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// listenLoopback listens on addr, which must be a loopback address (127.0.0.1,
// ::1) or localhost resolving to loopback addresses only.
func listenLoopback(ctx context.Context, addr string) (net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--addr %q：需為「位址:埠號」，例如 %s", addr, agent.DefaultAddr)
	}
	var ip net.IP
	if strings.EqualFold(host, "localhost") {
		ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil || len(ips) == 0 {
			return nil, fmt.Errorf("--addr %q：無法解析 localhost", addr)
		}
		for _, a := range ips {
			if !a.IP.IsLoopback() {
				return nil, fmt.Errorf("--addr %q：localhost 解析到非本機位址 %s，請改用 127.0.0.1", addr, a.IP)
			}
			if ip == nil || ip.To4() == nil && a.IP.To4() != nil {
				ip = a.IP // prefer IPv4
			}
		}
	} else {
		ip = net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("--addr %q：讀卡程式只能在本機位址（127.0.0.1 或 ::1）上提供服務", addr)
		}
	}
	listen := net.JoinHostPort(ip.String(), port)
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("無法在 %s 提供服務（埠號可能已被其他程式使用，例如中華電信 HiPKI Local Server；可用 --addr 指定其他埠號）：%w", listen, err)
	}
	return ln, nil
}
