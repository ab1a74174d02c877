package config_test

import (
	"flag"
	"io"
	"reflect"
	"testing"

	"github.com/multicert/multicert/internal/config"
)

func parse(t *testing.T, args ...string) (*config.Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return config.Parse(fs, args, func(string) string { return "" })
}

func TestTrustedProxies(t *testing.T) {
	c, err := parse(t, "--trusted-proxies", "10.0.0.0/8, 192.0.2.1,2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"10.0.0.0/8", "192.0.2.1", "2001:db8::/32"}; !reflect.DeepEqual(c.TrustedProxies, want) {
		t.Errorf("TrustedProxies = %q, want %q", c.TrustedProxies, want)
	}
	if _, err := parse(t, "--trusted-proxies", "proxy.example"); err == nil {
		t.Error("a host name was accepted as a trusted proxy")
	}
	if c, _ := parse(t); len(c.TrustedProxies) != 0 {
		t.Errorf("default trusted proxies %q, want none", c.TrustedProxies)
	}
}

func TestSecureCookies(t *testing.T) {
	for url, want := range map[string]bool{"https://portal.example": true, "http://127.0.0.1:8080": false, "": false} {
		c, err := parse(t, "--public-url", url)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.SecureCookies(); got != want {
			t.Errorf("public URL %q: SecureCookies %v, want %v", url, got, want)
		}
	}
}
