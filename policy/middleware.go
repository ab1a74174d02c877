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

// Principal returns the role and domain of the user making the request.
type Principal func(c *fiber.Ctx) (role, dom string)

// Middleware enforces g on every request of a route. A role that may never
// do this gets 401 (not logged in) or 403; a role that may, but not on
// this object's domain, gets 404, so that the object's existence does not leak.
func (e *Enforcer) Middleware(g Guard, who Principal) fiber.Handler {
	return func(c *fiber.Ctx) error {
		role, dom := who(c)
		if !e.Allowed(role, dom, "", g.Object, g.Action) {
			if role == Anonymous {
				return apperr.New(apperr.Unauthorized, "請先登入。")
			}
			return apperr.New(apperr.Forbidden, "您的角色沒有執行此功能的權限。")
		}
		if g.Domain != nil {
			odom, err := g.Domain(c, dom)
			if err != nil {
				return err
			}
			if !e.Allowed(role, dom, odom, g.Object, g.Action) {
				return apperr.New(apperr.NotFound, "查無此資料，或您沒有查看的權限。")
			}
		}
		return c.Next()
	}
}
