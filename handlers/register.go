package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
)

// showRegister shows unit registration (註冊): by business certificate or
// by the responsible person's NHI card.
func (s *Server) showRegister(c *fiber.Ctx) error {
	if err := s.ensureSession(c); err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "unit_register", UnitLoginView{Page: s.agentPage(c, "投保單位註冊", "register")})
}

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

// createCertRegistration registers a unit with its 工商憑證.
func (s *Server) createCertRegistration(c *fiber.Ctx) error {
	p := principal(c)
	if p.Session == nil {
		return apperr.New(apperr.Forbidden, "頁面已逾時，請重新整理頁面後再試一次。")
	}
	code, _, err := unitCodeAndBAN(c, false)
	if err != nil {
		return err
	}
	in, err := parseSignedLogin(c)
	if err != nil {
		return err
	}
	cl, cert := s.verify(c, s.Cards.Business, in)
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

// createNHIRegistration registers a unit with its responsible person's NHI
// card and a new password.
func (s *Server) createNHIRegistration(c *fiber.Ctx) error {
	p := principal(c)
	if p.Session == nil {
		return apperr.New(apperr.Forbidden, "頁面已逾時，請重新整理頁面後再試一次。")
	}
	code, ban, err := unitCodeAndBAN(c, true)
	if err != nil {
		return err
	}
	card, err := nhiCard(c)
	if err != nil {
		return err
	}
	pw := c.FormValue("password")
	if pw != c.FormValue("password2") {
		return apperr.InvalidFields("兩次輸入的密碼不一致。", map[string]string{"password2": "兩次輸入的密碼不一致。"})
	}
	token, _, err := s.Store.RegisterUnitNHI(c.UserContext(), p.Session, code, ban, card, pw, c.IP(), string(c.Request().Header.UserAgent()))
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token)
	s.flash(c, "註冊完成，已為您登入。請至「單位管理者登錄作業」指派承辦人。")
	return c.JSON(fiber.Map{"redirect": "/portal"})
}

// showNHIRegister shows 健保卡網路服務註冊: first registration and
// forgotten password.
func (s *Server) showNHIRegister(c *fiber.Ctx) error {
	if err := s.ensureSession(c); err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "nhi_register", UnitLoginView{Page: s.agentPage(c, "健保卡網路服務註冊", "nhi-register")})
}

func nhiPasswordForm(c *fiber.Ctx) (models.NHICard, string, string, error) {
	card, err := nhiCard(c)
	if err != nil {
		return card, "", "", err
	}
	id := twid.Normalize(c.FormValue("id_no"))
	if _, err := twid.CheckPersonID(id); err != nil {
		return card, "", "", apperr.InvalidFields("身分證號："+err.Error(), map[string]string{"id_no": err.Error()})
	}
	pw := c.FormValue("password")
	if pw != c.FormValue("password2") {
		return card, "", "", apperr.InvalidFields("兩次輸入的密碼不一致。", map[string]string{"password2": "兩次輸入的密碼不一致。"})
	}
	return card, id, pw, nil
}

// createNHIRegister records a 健保卡網路服務註冊.
func (s *Server) createNHIRegister(c *fiber.Ctx) error {
	card, id, pw, err := nhiPasswordForm(c)
	if err != nil {
		return err
	}
	if err := s.Store.RegisterNHI(c.UserContext(), card, id, pw, c.IP()); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"message": "健保卡網路服務註冊完成。請回登入頁，選擇「健保卡」並輸入剛設定的密碼登入。"})
}

// resetNHIPassword sets a new password with the card in the reader.
func (s *Server) resetNHIPassword(c *fiber.Ctx) error {
	card, id, pw, err := nhiPasswordForm(c)
	if err != nil {
		return err
	}
	if err := s.Store.ResetNHIPassword(c.UserContext(), card, id, pw, c.IP()); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"message": "密碼已重設，請以新密碼登入。"})
}
