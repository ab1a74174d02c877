package agent

// DefaultAddr is where the card agent listens unless told otherwise: the
// loopback address only, on port DefaultPort. The portal's pages call
// http://127.0.0.1:56161/v1/…
const DefaultAddr = "127.0.0.1:56161"

// DefaultPort is the agent's default TCP port. It is not registered with
// IANA; 56161 lies in the dynamic range. (61161 was the first choice, but
// 中華電信's HiPKI Local Server, installed on many PCs that use 自然人憑證,
// listens there by default.)
const DefaultPort = 56161

// DefaultSignPerMinute is the default number of sign requests that one
// origin may make per minute (Config.SignPerMinute).
const DefaultSignPerMinute = 10

// APIVersion is the version of the HTTP API, reported by GET /v1/version.
const APIVersion = 1

// MaxBodyBytes is the largest request body the API accepts.
const MaxBodyBytes = 16 << 10

// Nonce and PIN limits of POST /v1/sign.
const (
	MinNonceBytes = 16
	MaxNonceBytes = 128
	MinPINLen     = 4
	MaxPINLen     = 16
)
