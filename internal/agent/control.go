package agent

// WalletCard is one card of a simulated wallet: a card the demo's user can
// insert into a simulated reader.
type WalletCard struct {
	Label string `json:"label"`
	Type  string `json:"type"`
	// Reader is the reader that holds the card, "" when it is in the wallet.
	Reader string `json:"reader,omitempty"`
}

// Controller is implemented by simulated backends (package agent/sim). When
// the Server's Backend is also a Controller, the Server mounts the demo's
// endpoints GET /v1/sim/cards, POST /v1/sim/insert and POST /v1/sim/remove,
// under the same origin rules as the rest of the API. Real backends must not
// implement it.
type Controller interface {
	// Wallet lists the cards, in the order they were added.
	Wallet() []WalletCard
	// Insert puts the card labelled label into reader. A card in another
	// reader moves; a card already in reader goes back to the wallet.
	Insert(reader, label string) error
	// Remove takes the card out of reader.
	Remove(reader string) error
}
