package policy

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
)

// Guard is what a route declares: the object it touches, the action, and
// how to find the domain of the object from the request (nil when the
// route has no single object and its query is scoped to the user instead).
type Guard struct {
	Object string
	Action string
	// Domain returns the object's domain in the form of the user's domain
	// kind (dom is "unit:…", "branch:…" or "*"); a NotFound error answers 404.
	Domain func(c *fiber.Ctx, dom string) (string, error)
}

// Principal returns the roles and the domain of the user making the
// request. A user may hold several roles (a clerk who is also the unit's
// manager); the request is allowed when one of them is.
type Principal func(c *fiber.Ctx) (roles []string, dom string)

// Middleware enforces g on every request of a route. A role that may never
// do this gets 401 (not logged in) or 403; a role that may, but not on
// this object's domain, gets 404, so that the object's existence does not leak.
func (e *Enforcer) Middleware(g Guard, who Principal) fiber.Handler {
	return func(c *fiber.Ctx) error {
		roles, dom := who(c)
		var granted []string
		for _, r := range roles {
			if e.Allowed(r, dom, "", g.Object, g.Action) {
				granted = append(granted, r)
			}
		}
		if len(granted) == 0 {
			if len(roles) == 1 && roles[0] == Anonymous {
				return apperr.New(apperr.Unauthorized, "請先登入。")
			}
			return apperr.New(apperr.Forbidden, "您的角色沒有執行此功能的權限。")
		}
		if g.Domain != nil {
			odom, err := g.Domain(c, dom)
			if err != nil {
				return err
			}
			if !e.Allowed(granted[0], dom, odom, g.Object, g.Action) {
				return apperr.New(apperr.NotFound, "查無此資料，或您沒有查看的權限。")
			}
		}
		return c.Next()
	}
}
