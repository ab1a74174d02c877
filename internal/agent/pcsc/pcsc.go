//go:build pcsc || windows

package pcsc

import (
	"context"
	"errors"
	"sync"

	"github.com/ebfe/scard"

	"github.com/multicert/multicert/internal/agent"
)

// PCSC is a PC/SC context. Its methods are safe for concurrent use; calls
// are serialised.
type PCSC struct {
	mu     sync.Mutex
	sc     *scard.Context // nil after Close
	closed bool
	cache  map[string]detected // reader name → last detected card
}

// detected remembers the type of the card in a reader until the reader's
// event counter (card insertions and removals) or the ATR changes.
type detected struct {
	events uint32
	atr    string
	typ    string
}

// New establishes a PC/SC context. It fails with an ErrNoReader error when
// the PC/SC service (pcscd) is not running.
func New() (*PCSC, error) {
	sc, err := scard.EstablishContext()
	if err != nil {
		return nil, mapErr(err, false)
	}
	return &PCSC{sc: sc, cache: map[string]detected{}}, nil
}

// Close releases the PC/SC context. Methods called after Close fail.
func (p *PCSC) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	if p.sc == nil {
		return nil
	}
	err := p.sc.Release()
	p.sc = nil
	return err
}

// errClosed is returned by methods called after Close.
var errClosed = &agent.Error{Code: agent.ErrInternal, Message: "讀卡機存取已關閉"}

// do runs f with the PC/SC context, holding p.mu. When the service has
// gone away and come back (pcscd restarted), the context is invalid: it is
// established again and f retried once.
func (p *PCSC) do(ctx context.Context, f func(sc *scard.Context) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errClosed
	}
	if p.sc == nil {
		if err := p.reestablish(); err != nil {
			return err
		}
	}
	err := f(p.sc)
	if !staleContext(err) {
		return err
	}
	if rerr := p.reestablish(); rerr != nil {
		return rerr
	}
	return f(p.sc)
}

// reestablish replaces the context. Call with p.mu held. The detected
// card types are forgotten: a new service counts card events afresh, so an
// old entry could match a card inserted since.
func (p *PCSC) reestablish() error {
	if p.sc != nil {
		_ = p.sc.Release()
		p.sc = nil
	}
	clear(p.cache)
	sc, err := scard.EstablishContext()
	if err != nil {
		return mapErr(err, false)
	}
	p.sc = sc
	return nil
}

// staleContext reports whether err says the context no longer works.
func staleContext(err error) bool {
	var se scard.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se {
	case scard.ErrInvalidHandle, scard.ErrNoService, scard.ErrServiceStopped:
		return true
	}
	return false
}

// ReaderNames lists the names of the readers. No reader is an empty list,
// not an error.
func (p *PCSC) ReaderNames(ctx context.Context) ([]string, error) {
	var names []string
	err := p.do(ctx, func(sc *scard.Context) error {
		var err error
		names, err = listReaders(sc)
		return err
	})
	if err != nil {
		return nil, mapErr(err, false)
	}
	return names, nil
}

func listReaders(sc *scard.Context) ([]string, error) {
	names, err := sc.ListReaders()
	if errors.Is(err, scard.ErrNoReadersAvailable) {
		return []string{}, nil
	}
	if err != nil {
		return nil, err
	}
	if names == nil {
		names = []string{}
	}
	return names, nil
}

// readerState is what GetStatusChange says about one reader.
type readerState struct {
	present bool
	events  uint32 // insertions and removals so far (high word of the event state)
	atr     []byte
}

// states asks for the current state of the readers without waiting.
// GetStatusChange panics on an empty list, so names must not be empty.
func states(sc *scard.Context, names []string) ([]readerState, error) {
	if len(names) == 0 {
		return nil, nil
	}
	rs := make([]scard.ReaderState, len(names))
	for i, n := range names {
		rs[i] = scard.ReaderState{Reader: n, CurrentState: scard.StateUnaware}
	}
	if err := sc.GetStatusChange(rs, 0); err != nil {
		return nil, err
	}
	out := make([]readerState, len(rs))
	for i, r := range rs {
		out[i] = readerState{
			present: r.EventState&scard.StatePresent != 0,
			events:  uint32(r.EventState) >> 16,
			atr:     r.Atr,
		}
	}
	return out, nil
}

// Present reports whether a card is in reader, without talking to it. An
// unknown reader gives an ErrNoReader error.
func (p *PCSC) Present(ctx context.Context, reader string) (bool, error) {
	if reader == "" {
		return false, &agent.Error{Code: agent.ErrNoReader, Message: msgNoReaderName}
	}
	var ok bool
	err := p.do(ctx, func(sc *scard.Context) error {
		sts, err := states(sc, []string{reader})
		if err != nil {
			return err
		}
		ok = sts[0].present
		return nil
	})
	if err != nil {
		return false, mapErr(err, false)
	}
	return ok, nil
}

// Readers lists the readers and whether a card is in each. For a present
// card, CardType is the detected type (see Detect); the result is kept
// until the card is removed, so listing repeatedly does not talk to the
// card again. PINTriesLeft is always -1: PC/SC does not know it. No reader
// is an empty list, not an error.
func (p *PCSC) Readers(ctx context.Context) ([]agent.ReaderStatus, error) {
	var out []agent.ReaderStatus
	err := p.do(ctx, func(sc *scard.Context) error {
		out = []agent.ReaderStatus{} // f may run twice
		names, err := listReaders(sc)
		if err != nil || len(names) == 0 {
			return err
		}
		sts, err := states(sc, names)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for i, name := range names {
			seen[name] = true
			st := agent.ReaderStatus{Name: name, Present: sts[i].present, PINTriesLeft: -1}
			if st.Present {
				typ, err := p.cachedType(ctx, sc, name, sts[i])
				if ctxErr := ctx.Err(); ctxErr != nil {
					return ctxErr
				}
				switch code(err) {
				case "":
					st.CardType = typ
				case agent.ErrNoCard, agent.ErrCardRemoved:
					st.Present = false
				default:
					st.CardType = agent.CardUnknown
				}
			}
			out = append(out, st)
		}
		for name := range p.cache {
			if !seen[name] {
				delete(p.cache, name)
			}
		}
		return nil
	})
	if err != nil {
		return nil, mapErr(err, false)
	}
	return out, nil
}

// cachedType returns the type of the card in reader, detecting it when the
// cache does not know this insertion. Call with p.mu held.
func (p *PCSC) cachedType(ctx context.Context, sc *scard.Context, reader string, st readerState) (string, error) {
	if d, ok := p.cache[reader]; ok && d.events == st.events && d.atr == string(st.atr) {
		return d.typ, nil
	}
	var typ string
	err := withCard(ctx, sc, reader, func(s *session) error {
		t, _, err := s.identify(false)
		typ = string(t)
		return err
	})
	if err != nil {
		delete(p.cache, reader)
		return "", mapErr(err, false)
	}
	// Without an event counter (the high word stays 0 on some stacks) a
	// swap for a card with the same ATR would go unnoticed: do not cache.
	if st.events != 0 {
		p.cache[reader] = detected{events: st.events, atr: string(st.atr), typ: typ}
	}
	return typ, nil
}

func code(err error) string {
	if err == nil {
		return ""
	}
	var ae *agent.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return agent.ErrInternal
}
