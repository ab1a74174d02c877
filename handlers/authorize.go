package handlers

import "github.com/gofiber/fiber/v2"

// may reports whether the user may do act on obj, to show or hide forms.
func (s *Server) may(c *fiber.Ctx, obj, act string) bool {
	roles, dom := principalRoles(c)
	for _, r := range roles {
		if s.Enforcer.Allowed(r, dom, "", obj, act) {
			return true
		}
	}
	return false
}
