package agent

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// ParseOrigin checks that s is a web origin as browsers send it in the
// Origin header, scheme://host[:port] with scheme http or https and nothing
// after the host, and returns its canonical form: scheme and host in lower
// case, without the scheme's default port (443 for https, 80 for http).
// "null", wildcards, paths, queries, user info and non-ASCII hosts are
// rejected.
func ParseOrigin(s string) (string, error) {
	if s == "" {
		return "", errors.New("empty origin")
	}
	if strings.ContainsAny(s, " \t\r\n\\") {
		return "", fmt.Errorf("origin %q: contains white space or a backslash", s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("origin %q: %w", s, err)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("origin %q: scheme must be http or https", s)
	}
	if u.Opaque != "" || u.User != nil || u.Path != "" || u.RawPath != "" ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.HasSuffix(s, "#") {
		return "", fmt.Errorf("origin %q: must be scheme://host[:port] with nothing after it", s)
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return "", fmt.Errorf("origin %q: no host", s)
	}
	for _, r := range host {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == ':'
		if !ok {
			return "", fmt.Errorf("origin %q: host must be ASCII (use the punycode form)", s)
		}
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6 literal
	}
	port := u.Port()
	if strings.HasSuffix(u.Host, ":") {
		return "", fmt.Errorf("origin %q: empty port", s)
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			return "", fmt.Errorf("origin %q: bad port", s)
		}
		if scheme == "https" && n == 443 || scheme == "http" && n == 80 {
			port = ""
		}
	}
	out := scheme + "://" + host
	if port != "" {
		out += ":" + port
	}
	return out, nil
}
