package agent

import (
	"encoding/hex"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/multicert/multicert/internal/card"
)

// NewNHIData describes the basic data of an NHI card for the API. The name
// needs a check when the card holds a government-made character (造字) or
// any other bytes the decoder replaced with U+FFFD.
func NewNHIData(b card.NHIBasic) *NHIData {
	return &NHIData{
		CardNo:         b.CardNo,
		Name:           b.Name,
		NameRaw:        hex.EncodeToString(b.NameRaw),
		NameNeedsCheck: b.NameHasUserDefined || strings.ContainsRune(b.Name, utf8.RuneError),
		IDNo:           b.IDNo,
		Birth:          b.Birth.Format(time.DateOnly),
		Sex:            b.Sex,
		Issued:         b.Issued.Format(time.DateOnly),
	}
}
