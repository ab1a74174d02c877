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

func TestRole(t *testing.T) {
	for _, tc := range []struct {
		args        []string
		jobs, pages bool
	}{
		{nil, true, true},
		{[]string{"--role", "all"}, true, true},
		{[]string{"--role", "web"}, false, true},
		{[]string{"--role", "worker"}, true, false},
	} {
		c, err := parse(t, tc.args...)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if c.RunsJobs() != tc.jobs || c.ServesPages() != tc.pages {
			t.Errorf("%v: RunsJobs %v ServesPages %v, want %v %v", tc.args, c.RunsJobs(), c.ServesPages(), tc.jobs, tc.pages)
		}
	}
	for _, args := range [][]string{{"--role", "leader"}, {"--shutdown-drain", "-1s"}, {"--shutdown-timeout", "0s"}} {
		if _, err := parse(t, args...); err == nil {
			t.Errorf("%v: want an error", args)
		}
	}
}

// A command's own --role (staff add, db grant) wins over the instance
// role, which is then read from MULTICERT_ROLE.
func TestCommandFlagWins(t *testing.T) {
	fs := flag.NewFlagSet("staff", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	staffRole := fs.String("role", "", "staff role")
	c, err := config.Parse(fs, []string{"--role", "admin"}, func(k string) string {
		if k == "MULTICERT_ROLE" {
			return "web"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if *staffRole != "admin" || c.Role != config.RoleWeb {
		t.Errorf("staff --role %q, instance role %q; want admin and web", *staffRole, c.Role)
	}
}

// TestTrustAnchorsPerKind: each unit certificate kind has its own anchors,
// from a flag or the environment; none by default.
func TestTrustAnchorsPerKind(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	env := map[string]string{"MULTICERT_GCA_CA": "gca-g2.pem, gca-g3.pem", "MULTICERT_HCA_CA": "hca.pem"}
	c, err := config.Parse(fs, []string{"--xca-ca", "xca.pem", "--business-ca", "moeaca.pem", "--hca-ca", "hca-flag.pem"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]string{"business": c.BusinessCA, "gca": c.GCACA, "xca": c.XCACA, "hca": c.HCACA, "citizen": c.CitizenCA} {
		want := map[string][]string{"business": {"moeaca.pem"}, "gca": {"gca-g2.pem", "gca-g3.pem"}, "xca": {"xca.pem"}, "hca": {"hca-flag.pem"}}[name]
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s anchors = %q, want %q", name, got, want)
		}
	}
}
