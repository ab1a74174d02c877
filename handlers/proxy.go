package handlers

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// parseProxies reads the trusted proxies, addresses or CIDRs.
func parseProxies(list []string) ([]netip.Prefix, error) { return parsePrefixes("trusted proxy", list) }

// parsePrefixes reads a list of addresses or CIDRs; what names the list in
// the error.
func parsePrefixes(what string, list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, p := range list {
		if pr, err := netip.ParsePrefix(p); err == nil {
			out = append(out, pr.Masked())
			continue
		}
		a, err := netip.ParseAddr(p)
		if err != nil {
			return nil, fmt.Errorf("handlers: %s %q is neither an IP address nor a CIDR", what, p)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// trustedProxy reports whether addr is one of the trusted proxies.
func (s *Server) trustedProxy(addr string) bool {
	a, err := netip.ParseAddr(strings.TrimSpace(addr))
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range s.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwardedClient keeps, of a trusted proxy's X-Forwarded-For, only the
// address the proxies saw: the rightmost one that is not itself a trusted
// proxy. A proxy appends the address it was connected from, so what stands
// to the left of that came from the client and proves nothing; Fiber's
// c.IP() would take the leftmost. Requests from any other peer keep the
// header, which Fiber then ignores (EnableTrustedProxyCheck).
func (s *Server) forwardedClient(c *fiber.Ctx) error {
	if len(s.proxies) == 0 || !c.IsProxyTrusted() {
		return c.Next()
	}
	xff := c.Get(fiber.HeaderXForwardedFor)
	if !strings.Contains(xff, ",") {
		return c.Next()
	}
	hops := strings.Split(xff, ",")
	client := strings.TrimSpace(hops[0])
	for i := len(hops) - 1; i >= 0; i-- {
		if h := strings.TrimSpace(hops[i]); !s.trustedProxy(h) {
			client = h
			break
		}
	}
	c.Request().Header.Set(fiber.HeaderXForwardedFor, client)
	return c.Next()
}
