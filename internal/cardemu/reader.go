package cardemu

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/multicert/multicert/internal/card"
)

// DefaultAddr is where vpcd waits for the card of its first reader,
// "Virtual PCD 00 00".
const DefaultAddr = "127.0.0.1:35963"

// vpcd control messages: a payload of one byte.
const (
	ctrlOff   = 0x00 // power off; no reply
	ctrlOn    = 0x01 // power on; no reply
	ctrlReset = 0x02 // reset; no reply
	ctrlATR   = 0x04 // reply with the ATR
)

// dialTimeout bounds how long Insert waits for vpcd to accept.
const dialTimeout = 3 * time.Second

// Reader connects an emulated card to vpcd, the virtual reader driver of
// vsmartcard for pcscd. vpcd listens on TCP and the card program is the
// client: connecting inserts the card, closing the connection removes it.
// Every message is a 2-byte big-endian length followed by the payload; a
// 1-byte payload is a control message (power off, power on, reset, or a
// request for the ATR) and anything longer is an APDU, answered with the
// response APDU.
//
// vpcd polls for the card about every 400 ms, so a reader application sees
// an insertion or a removal only after that; after Remove, wait until the
// reader reports no card before inserting again.
//
// A Reader is safe for concurrent use.
type Reader struct {
	addr string

	mu   sync.Mutex
	conn net.Conn
	done chan struct{}
}

// NewReader returns a Reader for the vpcd listening at addr ("host:port");
// an empty addr means DefaultAddr.
func NewReader(addr string) *Reader {
	if addr == "" {
		addr = DefaultAddr
	}
	return &Reader{addr: addr}
}

// Addr returns the address of vpcd.
func (r *Reader) Addr() string { return r.addr }

// ErrInserted is returned by Insert when a card is already inserted.
var ErrInserted = errors.New("cardemu: a card is already inserted")

// Insert connects to vpcd and serves c from a new goroutine until Remove
// or until vpcd closes the connection. It fails when a card is already
// inserted or vpcd cannot be reached.
func (r *Reader) Insert(c Card) error {
	if c == nil {
		return errors.New("cardemu: Insert of a nil card")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn != nil {
		select {
		case <-r.done: // vpcd hung up: the slot is free again
			_ = r.conn.Close()
			r.conn, r.done = nil, nil
		default:
			return ErrInserted
		}
	}
	conn, err := net.DialTimeout("tcp", r.addr, dialTimeout)
	if err != nil {
		return fmt.Errorf("cardemu: connect to vpcd at %s: %w", r.addr, err)
	}
	done := make(chan struct{})
	r.conn, r.done = conn, done
	go func() {
		defer close(done)
		serve(conn, c)
	}()
	return nil
}

// Inserted reports whether a card is inserted and vpcd still holds its
// connection.
func (r *Reader) Inserted() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn == nil {
		return false
	}
	select {
	case <-r.done:
		return false
	default:
		return true
	}
}

// Remove removes the card: it closes the connection to vpcd and returns
// once the serving goroutine has ended. Removing when no card is inserted
// does nothing.
func (r *Reader) Remove() error {
	r.mu.Lock()
	conn, done := r.conn, r.done
	r.conn, r.done = nil, nil
	r.mu.Unlock()
	if conn == nil {
		return nil
	}
	err := conn.Close()
	<-done
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// Close removes any inserted card.
func (r *Reader) Close() { _ = r.Remove() }

// serve answers vpcd until the connection ends.
func serve(conn net.Conn, c Card) {
	defer conn.Close()
	var hdr [2]byte
	for {
		quickAck(conn)
		if _, err := io.ReadFull(conn, hdr[:]); err != nil {
			return
		}
		msg := make([]byte, binary.BigEndian.Uint16(hdr[:]))
		if _, err := io.ReadFull(conn, msg); err != nil {
			return
		}
		var reply []byte
		switch len(msg) {
		case 0:
			continue
		case 1:
			switch msg[0] {
			case ctrlOn, ctrlReset:
				if rs, ok := c.(Resetter); ok {
					rs.Reset()
				}
				continue
			case ctrlATR:
				reply = c.ATR()
			default: // ctrlOff and anything unknown: no reply
				continue
			}
		default:
			reply = transmit(c, msg)
		}
		if err := writeMsg(conn, reply); err != nil {
			return
		}
	}
}

// transmit calls c.Transmit, turning a panic or a too short answer into 6F00.
func transmit(c Card, apdu []byte) (resp []byte) {
	defer func() {
		if recover() != nil {
			resp = status(card.SWUnknown)
		}
	}()
	resp = c.Transmit(apdu)
	if len(resp) < 2 {
		resp = status(card.SWUnknown)
	}
	return resp
}

func writeMsg(w io.Writer, payload []byte) error {
	if len(payload) > 0xFFFF {
		payload = status(card.SWUnknown)
	}
	buf := make([]byte, 2+len(payload))
	binary.BigEndian.PutUint16(buf, uint16(len(payload)))
	copy(buf[2:], payload)
	_, err := w.Write(buf)
	return err
}
