//go:build pcsc || windows

package pcsc_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/agent"
	"github.com/multicert/multicert/internal/agent/pcsc"
	"github.com/multicert/multicert/internal/agent/pcsc/pcsctest"
	"github.com/multicert/multicert/internal/card"
	"github.com/multicert/multicert/internal/cardemu"
	"github.com/multicert/multicert/internal/testenv"
)

// The tests of this file stop and start pcscd under a PCSC that stays
// open, as the agent's does while the PC/SC service goes away and comes
// back (Windows stops it when the last reader is unplugged and starts it
// with the next one). pcscd cannot add or remove vpcd's readers while it
// runs, so a reader comes and goes with a restart of pcscd without them.

var lee = card.NHIBasic{
	CardNo: "000087654321",
	Name:   "李大華",
	IDNo:   "B223456789",
	Birth:  time.Date(1985, 6, 15, 0, 0, 0, 0, time.UTC),
	Sex:    "F",
	Issued: time.Date(2021, 3, 4, 0, 0, 0, 0, time.UTC),
}

// control takes pcscd for the test and gives it back at the end. It skips
// when other test processes use pcscd (go test ./... runs packages side by
// side), and fails or skips, as requireStack does, when pcscd cannot be
// stopped and started here.
func control(t *testing.T) *pcsctest.Control {
	t.Helper()
	requireStack(t)
	c, err := stack.Control()
	if errors.Is(err, pcsctest.ErrShared) {
		t.Skipf("cannot stop pcscd for this test: %v", err)
	}
	if err != nil {
		testenv.Missing(t, testenv.PCSC, "cannot stop and start pcscd: "+err.Error())
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("giving pcscd back: %v", err)
		}
	})
	return c
}

func stopService(t *testing.T, c *pcsctest.Control) {
	t.Helper()
	if err := c.Stop(); err != nil {
		t.Fatalf("stop pcscd: %v", err)
	}
}

func startService(t *testing.T, c *pcsctest.Control, readers bool) {
	t.Helper()
	if err := c.Start(readers); err != nil {
		t.Fatalf("start pcscd (readers %v): %v", readers, err)
	}
}

// restartService stops and starts pcscd with vpcd's readers.
func restartService(t *testing.T, c *pcsctest.Control) {
	t.Helper()
	stopService(t, c)
	startService(t, c, true)
}

// listed returns the entry of Readers for name, or fails.
func listed(t *testing.T, p *pcsc.PCSC, name string) agent.ReaderStatus {
	t.Helper()
	list, err := p.Readers(testCtx(t))
	if err != nil {
		t.Fatalf("Readers: %v", err)
	}
	for _, r := range list {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("Readers() = %+v, want %q in it", list, name)
	return agent.ReaderStatus{}
}

// TestServiceRestartedBetweenCalls: after pcscd restarts, the first call
// of each kind on the agent's old context succeeds (the context is
// established again within the call) and sees the card in the reader now,
// not one the agent saw before the restart.
func TestServiceRestartedBetweenCalls(t *testing.T) {
	c := control(t)
	// Both pcscd count card events from zero: a card type cached from
	// before a restart would then match the card inserted after it.
	restartService(t, c)
	s := newSlot(t)
	p := newPCSC(t) // the agent's context, kept across the restarts
	ctx := testCtx(t)
	_, der := devCert(t, card.DevCAUnitBusiness)
	s.insert(cardemu.NewCertCard(der, card.TypeBusinessCert, "X", cardemu.WithATR(cardemu.DefaultNHIATR)))
	if r := listed(t, p, s.name); r.CardType != agent.CardBusinessCert {
		t.Fatalf("before the restart: card type %q, want %q", r.CardType, agent.CardBusinessCert)
	}

	t.Run("Readers", func(t *testing.T) {
		restartService(t, c)
		s.insert(cardemu.NewNHICard(wang)) // same ATR, another card
		if r := listed(t, p, s.name); !r.Present || r.CardType != agent.CardNHI {
			t.Errorf("Readers() entry = %+v, want the NHI card inserted after the restart", r)
		}
	})
	t.Run("ReadNHI", func(t *testing.T) {
		restartService(t, c)
		s.insert(cardemu.NewNHICard(lee))
		got, err := p.ReadNHI(ctx, s.name)
		if err != nil || got.Name != lee.Name {
			t.Errorf("ReadNHI() = %+v, %v; want %s's card", got, err, lee.Name)
		}
	})
	t.Run("Read", func(t *testing.T) {
		restartService(t, c)
		s.insert(cardemu.NewNHICard(wang))
		got, err := p.Read(ctx, s.name)
		if err != nil || got.NHI == nil || *got.NHI != wantWang {
			t.Errorf("Read() = %+v, %v; want %+v", got, err, wantWang)
		}
	})
	t.Run("ReaderNames", func(t *testing.T) {
		restartService(t, c)
		names, err := p.ReaderNames(ctx)
		if err != nil || !slices.Contains(names, s.name) {
			t.Errorf("ReaderNames() = %q, %v; want %q in it", names, err, s.name)
		}
	})
}

// TestServiceGoneAndBack: while pcscd is stopped every call fails with a
// no_reader error that names the reader service; when it comes back
// without readers, there are none (an empty list, not an error); when it
// comes back with them, the same context lists and reads them.
func TestServiceGoneAndBack(t *testing.T) {
	c := control(t)
	s := newSlot(t)
	p := newPCSC(t)
	ctx := testCtx(t)
	s.insert(cardemu.NewNHICard(wang))
	if _, err := p.ReadNHI(ctx, s.name); err != nil {
		t.Fatalf("ReadNHI: %v", err)
	}

	stopService(t, c)
	const noService = "讀卡機服務"
	_, err := p.ReaderNames(ctx)
	wantCode(t, "ReaderNames without pcscd", err, agent.ErrNoReader, noService)
	_, err = p.Readers(ctx)
	wantCode(t, "Readers without pcscd", err, agent.ErrNoReader, noService)
	_, err = p.ReadNHI(ctx, s.name)
	wantCode(t, "ReadNHI without pcscd", err, agent.ErrNoReader, noService)
	_, err = p.Present(ctx, s.name)
	wantCode(t, "Present without pcscd", err, agent.ErrNoReader, noService)

	startService(t, c, false)
	names, err := p.ReaderNames(ctx)
	if err != nil || len(names) != 0 {
		t.Errorf("ReaderNames() with no reader = %q, %v; want none", names, err)
	}
	list, err := p.Readers(ctx)
	if err != nil || len(list) != 0 {
		t.Errorf("Readers() with no reader = %+v, %v; want none", list, err)
	}
	_, err = p.ReadNHI(ctx, s.name)
	wantCode(t, "ReadNHI of an unplugged reader", err, agent.ErrNoReader, "")

	stopService(t, c)
	startService(t, c, true)
	s.insert(cardemu.NewNHICard(lee))
	if r := listed(t, p, s.name); !r.Present || r.CardType != agent.CardNHI {
		t.Errorf("Readers() entry after the reader came back = %+v, want an NHI card", r)
	}
	if got, err := p.ReadNHI(ctx, s.name); err != nil || got.Name != lee.Name {
		t.Errorf("ReadNHI() after the reader came back = %+v, %v; want %s's card", got, err, lee.Name)
	}
}

// TestCardSwapped: a card taken out and another put in is read anew, by
// every call, whether the swap happens between two calls or between the
// connection and the transaction of one (SCARD_W_REMOVED_CARD: the agent
// connects again and reads the new card rather than failing).
func TestCardSwapped(t *testing.T) {
	s := newSlot(t)
	p := newPCSC(t)
	ctx := testCtx(t)
	s.insert(cardemu.NewNHICard(wang))
	if got, err := p.Read(ctx, s.name); err != nil || got.NHI == nil || got.NHI.Name != wang.Name {
		t.Fatalf("Read() = %+v, %v; want %s's card", got, err, wang.Name)
	}
	s.remove()
	s.insert(cardemu.NewNHICard(lee))
	if got, err := p.Read(ctx, s.name); err != nil || got.NHI == nil || got.NHI.Name != lee.Name {
		t.Errorf("Read() after the swap = %+v, %v; want %s's card", got, err, lee.Name)
	}

	swaps := 0
	defer pcsc.SetConnected(func(string) {
		if swaps++; swaps == 1 {
			s.remove()
			s.insert(cardemu.NewNHICard(wang))
		}
	})()
	got, err := p.ReadNHI(ctx, s.name)
	if swaps == 0 {
		t.Fatal("the card was not swapped")
	}
	if err != nil || got.Name != wang.Name {
		t.Errorf("ReadNHI() with the card swapped before the transaction = %+v, %v; want %s's card", got, err, wang.Name)
	}
}

// TestCardResetByAnotherApplication: a card another application resets
// between the agent's connection and its transaction (SCARD_W_RESET_CARD)
// is connected to again and read.
func TestCardResetByAnotherApplication(t *testing.T) {
	s := newSlot(t)
	ctx := testCtx(t)
	s.insert(cardemu.NewNHICard(wang))
	resets := 0
	defer pcsc.SetConnected(func(reader string) {
		if resets++; resets == 1 {
			if err := pcsc.ResetCard(reader); err != nil {
				t.Errorf("reset the card: %v", err)
			}
		}
	})()
	got, err := s.p.ReadNHI(ctx, s.name)
	if resets == 0 {
		t.Fatal("the card was not reset")
	}
	if err != nil || *got != wantWang {
		t.Errorf("ReadNHI() with the card reset before the transaction = %+v, %v; want %+v", got, err, wantWang)
	}
}
