package cardemu_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/card"
	"github.com/multicert/multicert/internal/cardemu"
)

// fakeVPCD plays vpcd: it accepts one card connection at a time.
type fakeVPCD struct {
	t  *testing.T
	ln net.Listener
}

func newFakeVPCD(t *testing.T) *fakeVPCD {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return &fakeVPCD{t: t, ln: ln}
}

func (f *fakeVPCD) accept() net.Conn {
	f.t.Helper()
	f.ln.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second))
	c, err := f.ln.Accept()
	if err != nil {
		f.t.Fatalf("accept: %v", err)
	}
	f.t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	return c
}

func writeFrame(t *testing.T, c net.Conn, payload []byte) {
	t.Helper()
	buf := binary.BigEndian.AppendUint16(nil, uint16(len(payload)))
	if _, err := c.Write(append(buf, payload...)); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func readFrame(t *testing.T, c net.Conn) []byte {
	t.Helper()
	var hdr [2]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		t.Fatalf("read header: %v", err)
	}
	b := make([]byte, binary.BigEndian.Uint16(hdr[:]))
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("read payload: %v", err)
	}
	return b
}

func TestReaderProtocol(t *testing.T) {
	vpcd := newFakeVPCD(t)
	r := cardemu.NewReader(vpcd.ln.Addr().String())
	t.Cleanup(r.Close)
	c := cardemu.NewNHICard(wang, cardemu.WithSelectSW(card.SWINSNotSupported))
	if err := r.Insert(c); err != nil {
		t.Fatalf("Insert: %v", err)
	}
	conn := vpcd.accept()
	if !r.Inserted() {
		t.Errorf("Inserted() = false after Insert")
	}

	writeFrame(t, conn, []byte{0x01}) // power on: no reply
	writeFrame(t, conn, []byte{0x02}) // reset: no reply
	writeFrame(t, conn, []byte{0x04}) // ATR
	if got := readFrame(t, conn); !bytes.Equal(got, cardemu.DefaultNHIATR) {
		t.Errorf("ATR = % X, want % X", got, cardemu.DefaultNHIATR)
	}
	writeFrame(t, conn, card.SelectNHI.MustBytes())
	if got, want := readFrame(t, conn), []byte{0x6D, 0x00}; !bytes.Equal(got, want) {
		t.Errorf("SELECT answer = % X, want % X", got, want)
	}
	writeFrame(t, conn, card.ReadNHIBasic.MustBytes())
	got := readFrame(t, conn)
	want, _ := card.EncodeNHIBasic(wang)
	if want = append(want, 0x90, 0x00); !bytes.Equal(got, want) {
		t.Errorf("READ answer = % X, want % X", got, want)
	}
	writeFrame(t, conn, []byte{0x00}) // power off: no reply
	writeFrame(t, conn, []byte{0x04})
	if got := readFrame(t, conn); !bytes.Equal(got, cardemu.DefaultNHIATR) {
		t.Errorf("ATR after power off = % X, want the ATR (power off must not be answered)", got)
	}

	if err := r.Insert(c); !errors.Is(err, cardemu.ErrInserted) {
		t.Errorf("second Insert error = %v, want ErrInserted", err)
	}
	if err := r.Remove(); err != nil {
		t.Errorf("Remove: %v", err)
	}
	if r.Inserted() {
		t.Errorf("Inserted() = true after Remove")
	}
	var b [1]byte
	if n, err := conn.Read(b[:]); err != io.EOF {
		t.Errorf("vpcd side read after Remove = %d, %v; want EOF", n, err)
	}
	if err := r.Remove(); err != nil {
		t.Errorf("Remove with no card: %v, want nil", err)
	}
}

// panicCard panics on every APDU.
type panicCard struct{}

func (panicCard) ATR() []byte            { return []byte{0x3B, 0x00} }
func (panicCard) Transmit([]byte) []byte { panic("broken card") }

// shortCard answers one byte.
type shortCard struct{ panicCard }

func (shortCard) Transmit([]byte) []byte { return []byte{0x90} }

func TestReaderBrokenCards(t *testing.T) {
	for _, c := range []cardemu.Card{panicCard{}, shortCard{}} {
		vpcd := newFakeVPCD(t)
		r := cardemu.NewReader(vpcd.ln.Addr().String())
		if err := r.Insert(c); err != nil {
			t.Fatal(err)
		}
		conn := vpcd.accept()
		writeFrame(t, conn, []byte{0x00, 0xA4, 0x00, 0x00})
		if got, want := readFrame(t, conn), []byte{0x6F, 0x00}; !bytes.Equal(got, want) {
			t.Errorf("%T answer = % X, want % X", c, got, want)
		}
		r.Close()
	}
}

func TestReaderVPCDHangsUp(t *testing.T) {
	vpcd := newFakeVPCD(t)
	r := cardemu.NewReader(vpcd.ln.Addr().String())
	t.Cleanup(r.Close)
	c := cardemu.NewNHICard(wang)
	if err := r.Insert(c); err != nil {
		t.Fatal(err)
	}
	vpcd.accept().Close()
	deadline := time.Now().Add(5 * time.Second)
	for r.Inserted() {
		if time.Now().After(deadline) {
			t.Fatal("Inserted() still true after vpcd closed the connection")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := r.Insert(c); err != nil {
		t.Errorf("Insert after vpcd hung up: %v, want nil", err)
	}
	vpcd.accept()
}

func TestReaderNoVPCD(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r := cardemu.NewReader(addr)
	if err := r.Insert(cardemu.NewNHICard(wang)); err == nil {
		t.Error("Insert with nothing listening succeeded, want an error")
	}
	if err := r.Insert(nil); err == nil {
		t.Error("Insert(nil) succeeded, want an error")
	}
}

func TestNewReaderDefault(t *testing.T) {
	if got := cardemu.NewReader("").Addr(); got != cardemu.DefaultAddr {
		t.Errorf("NewReader(\"\").Addr() = %q, want %q", got, cardemu.DefaultAddr)
	}
}
