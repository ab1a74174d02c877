package modelstest

import (
	"context"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/models"
)

// MailedCode returns the code in the newest outbox mail to addr: the text
// after label (「驗證碼：」 or 「開通碼：」) up to the end of its line.
func MailedCode(tb testing.TB, db bun.IDB, addr, label string) string {
	tb.Helper()
	ms, err := models.RecentMail(context.Background(), db, 50)
	if err != nil {
		tb.Fatal(err)
	}
	for _, m := range ms {
		if !strings.Contains(","+m.ToAddrs+",", ","+addr+",") {
			continue
		}
		if code, ok := CodeIn(m.Body, label); ok {
			return code
		}
	}
	tb.Fatalf("no mail to %s with %s", addr, label)
	return ""
}

// CodeIn finds the code after label in a mail's body.
func CodeIn(body, label string) (string, bool) {
	i := strings.Index(body, label)
	if i < 0 {
		return "", false
	}
	rest := body[i+len(label):]
	if j := strings.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[:j]
	}
	return strings.TrimSpace(rest), true
}
