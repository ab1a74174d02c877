package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/rules"
	"github.com/multicert/multicert/models"
)

// ErrorCodesView is the model of 錯誤代碼說明.
type ErrorCodesView struct {
	Page
	Codes   []rules.Info
	CanEdit bool
}

// showErrorCodes shows the code table with what to do for each code.
func (s *Server) showErrorCodes(c *fiber.Ctx) error {
	codes, err := models.ErrorCodes(c.UserContext(), s.Store.R())
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "error_codes", ErrorCodesView{Page: s.page(c, "錯誤代碼說明", "codes"), Codes: codes,
		CanEdit: principal(c).IsStaff() && s.may(c, "code_table", "update")})
}
