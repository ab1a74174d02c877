package p11

// Signature algorithms, as in agent.Signature.Algorithm.
const (
	AlgRSA   = "RSA-PKCS1v15-SHA256"
	AlgECDSA = "ECDSA-SHA256"
)

// TokenInfo describes a token (a card in a reader, as the module sees it).
type TokenInfo struct {
	Slot uint
	// SlotDescription is often the PC/SC reader's name.
	SlotDescription string
	Label           string
	Manufacturer    string
	Model           string
	Serial          string
	Flags           uint
	// PINTriesLeft is what the token's flags tell: 2 after a wrong PIN,
	// 1 before the final try, 0 when locked, -1 when they say nothing.
	PINTriesLeft int
	PINLocked    bool
}
