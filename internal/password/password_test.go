package password_test

import (
	"strings"
	"testing"

	"github.com/multicert/multicert/internal/password"
)

func TestHashVerify(t *testing.T) {
	h, err := password.Hash("正確的密碼 Abc123!")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q: want argon2id PHC string with default params", h)
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{
		{"正確的密碼 Abc123!", true},
		{"正確的密碼 Abc123", false},
		{"", false},
	} {
		got, err := password.Verify(tc.pw, h)
		if err != nil {
			t.Fatalf("Verify(%q): %v", tc.pw, err)
		}
		if got != tc.want {
			t.Errorf("Verify(%q) = %v, want %v", tc.pw, got, tc.want)
		}
	}
	h2, _ := password.Hash("正確的密碼 Abc123!")
	if h2 == h {
		t.Error("two hashes of the same password are equal: salt is not random")
	}
}

func TestVerifyMalformed(t *testing.T) {
	for _, h := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=0,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"} {
		if ok, err := password.Verify("x", h); ok || err == nil {
			t.Errorf("Verify(%q) = %v, %v; want false and an error", h, ok, err)
		}
	}
}
