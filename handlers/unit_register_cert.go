package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
)

// unitCodeAndBAN reads and checks the unit code and 統一編號 typed on a form.
func unitCodeAndBAN(c *fiber.Ctx, needBAN bool) (string, string, error) {
	code := twid.Normalize(c.FormValue("unit_code"))
	ban := twid.Normalize(c.FormValue("ban"))
	fields := map[string]string{}
	if err := twid.CheckUnitCode(code); err != nil {
		fields["unit_code"] = "投保單位代號" + err.Error()
	}
	if needBAN || ban != "" {
		if err := twid.CheckBAN(ban); err != nil {
			fields["ban"] = "統一編號" + err.Error()
		}
	}
	if len(fields) > 0 {
		msgs := make([]string, 0, len(fields))
		for _, k := range []string{"unit_code", "ban"} {
			if m, ok := fields[k]; ok {
				msgs = append(msgs, m)
			}
		}
		return "", "", apperr.InvalidFields(strings.Join(msgs, "；"), fields)
	}
	return code, ban, nil
}

// createCertRegistration registers a unit with its unit certificate, of
// any kind whose identifier the unit holds.
func (s *Server) createCertRegistration(c *fiber.Ctx) error {
	if _, err := s.preLoginSession(c); err != nil {
		return err
	}
	code, _, err := unitCodeAndBAN(c, false)
	if err != nil {
		return err
	}
	in, err := parseSignedLogin(c)
	if err != nil {
		return err
	}
	cl, cert := s.verifyUnit(c, in)
	info := models.CertInfo{Issuer: cl.Issuer, Serial: cl.Serial}
	if cert != nil {
		info.Subject, info.NotBefore, info.NotAfter = cert.Subject.String(), cert.NotBefore, cert.NotAfter
	}
	token, _, err := s.Store.RegisterUnitCert(c.UserContext(), cl, code, info)
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token)
	s.flash(c, "註冊完成，已為您登入。請至「單位管理者登錄作業」指派承辦人。")
	return c.JSON(fiber.Map{"redirect": "/portal"})
}
