package main

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"sync"

	"github.com/multicert/multicert/internal/agent"
	"github.com/multicert/multicert/internal/agent/hw"
	"github.com/multicert/multicert/internal/agent/p11"
)

// defaultModule is the PKCS#11 module to load: $MULTICERT_PKCS11_MODULE, or
// the HiCOS module's file name for the system's loader to find.
func defaultModule(getenv func(string) string) string {
	if m := getenv("MULTICERT_PKCS11_MODULE"); m != "" {
		return m
	}
	switch runtime.GOOS {
	case "windows":
		return "HiCOSPKCS11.dll"
	case "darwin":
		return "libHicos_p11v1.dylib"
	}
	return "libHicos_p11v1.so"
}

// openHardware is the backend over the PC/SC readers and the PKCS#11
// module. Without a module it still reads cards, but nothing signs.
func openHardware(module string, log *slog.Logger) (agent.Backend, func(), error) {
	reader := &lazyReader{open: openPCSC, log: log}
	var signer hw.Signer // stays a nil interface when there is no module
	closeSigner := func() {}
	if module == "" {
		log.Warn("no PKCS#11 module: certificate cards cannot sign")
	} else if s, err := p11.Open(module); err != nil {
		log.Warn("cannot load the PKCS#11 module: certificate cards cannot sign", "module", module, "err", err)
	} else {
		log.Info("PKCS#11 module loaded", "module", module)
		signer = s
		closeSigner = func() { s.Close() }
	}
	return hw.New(reader, signer), func() { reader.close(); closeSigner() }, nil
}

// lazyReader opens PC/SC on first use, and again after a failure: on
// Windows the smart card service runs only while a reader is plugged in.
type lazyReader struct {
	open func() (hw.CardReader, io.Closer, error)
	log  *slog.Logger

	mu     sync.Mutex
	r      hw.CardReader
	closer io.Closer
}

func (l *lazyReader) get() (hw.CardReader, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.r != nil {
		return l.r, nil
	}
	r, c, err := l.open()
	if err != nil {
		l.log.Warn("PC/SC unavailable", "err", err)
		return nil, &agent.Error{Code: agent.ErrNoReader, Message: "無法連線到讀卡機服務，請確認讀卡機已接上電腦。"}
	}
	l.r, l.closer = r, c
	return r, nil
}

func (l *lazyReader) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closer != nil {
		l.closer.Close()
	}
	l.r, l.closer = nil, nil
}

func (l *lazyReader) Readers(ctx context.Context) ([]agent.ReaderStatus, error) {
	r, err := l.get()
	if err != nil {
		return nil, err
	}
	return r.Readers(ctx)
}

func (l *lazyReader) ReadNHI(ctx context.Context, reader string) (*agent.NHIData, error) {
	r, err := l.get()
	if err != nil {
		return nil, err
	}
	return r.ReadNHI(ctx, reader)
}

func (l *lazyReader) ReadCert(ctx context.Context, reader string) (*agent.CertData, error) {
	r, err := l.get()
	if err != nil {
		return nil, err
	}
	return r.ReadCert(ctx, reader)
}

func (l *lazyReader) Read(ctx context.Context, reader string) (*agent.CardData, error) {
	r, err := l.get()
	if err != nil {
		return nil, err
	}
	return r.Read(ctx, reader)
}

func (l *lazyReader) Detect(ctx context.Context, reader string) (string, error) {
	r, err := l.get()
	if err != nil {
		return "", err
	}
	return r.Detect(ctx, reader)
}
