//go:build pcsc || windows

package pcsc

import "github.com/ebfe/scard"

// SetConnected makes f run between each connection to a card and its
// transaction, until the returned function is called.
func SetConnected(f func(reader string)) (restore func()) {
	connected = f
	return func() { connected = nil }
}

// ResetCard resets the card in reader as another application would: it
// connects in a context of its own and disconnects resetting the card.
func ResetCard(reader string) error {
	sc, err := scard.EstablishContext()
	if err != nil {
		return err
	}
	defer sc.Release()
	c, err := sc.Connect(reader, scard.ShareShared, scard.ProtocolAny)
	if err != nil {
		return err
	}
	return c.Disconnect(scard.ResetCard)
}
