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

// unitNHIForm reads a registration with the responsible person's NHI card:
// unit code, 統一編號 and the card data the page read.
func unitNHIForm(c *fiber.Ctx) (string, string, models.NHICard, error) {
	code, ban, err := unitCodeAndBAN(c, true)
	if err != nil {
		return "", "", models.NHICard{}, err
	}
	card, err := nhiCard(c)
	return code, ban, card, err
}

// createUnitCodeRequest mails a 開通碼 for a registration with the
// responsible person's NHI card, when the data match (always the same answer).
func (s *Server) createUnitCodeRequest(c *fiber.Ctx) error {
	code, ban, card, err := unitNHIForm(c)
	if err != nil {
		return err
	}
	if err := s.Store.RequestUnitCode(c.UserContext(), code, ban, card, c.IP()); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"message": models.UnitCodeSent, "keep": true})
}

// createNHIRegistration registers a unit with its responsible person's NHI
// card, a 開通碼 and a new password (or resets that password).
func (s *Server) createNHIRegistration(c *fiber.Ctx) error {
	p := principal(c)
	if _, err := s.preLoginSession(c); err != nil {
		return err
	}
	code, ban, card, err := unitNHIForm(c)
	if err != nil {
		return err
	}
	pw := c.FormValue("password")
	if pw != c.FormValue("password2") {
		return apperr.InvalidFields("兩次輸入的密碼不一致。", map[string]string{"password2": "兩次輸入的密碼不一致。"})
	}
	token, _, err := s.Store.RegisterUnitNHI(c.UserContext(), models.UnitNHIRegistration{Session: p.Session, UnitCode: code, BAN: ban,
		Card: card, Password: pw, ActivationCode: c.FormValue("activation_code"), IP: c.IP(), UserAgent: string(c.Request().Header.UserAgent())})
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token)
	s.flash(c, "已完成，並已為您登入。貴單位在本署登記的信箱會收到通知。請至「單位管理者登錄作業」指派承辦人。")
	return c.JSON(fiber.Map{"redirect": "/portal"})
}

// showNHIRegister shows 健保卡網路服務註冊: first registration and
// forgotten password, both with a 驗證碼 mailed to the address the unit
// recorded.
func (s *Server) showNHIRegister(c *fiber.Ctx) error {
	if err := s.ensureSession(c); err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "nhi_register", UnitLoginView{Page: s.agentPage(c, "健保卡網路服務註冊", "nhi-register")})
}

// createNHICodeRequest mails a 驗證碼 to the addresses units recorded for
// the card's holder (always the same answer).
func (s *Server) createNHICodeRequest(c *fiber.Ctx) error {
	card, err := nhiCard(c)
	if err != nil {
		return err
	}
	if err := s.Store.RequestNHICode(c.UserContext(), card, twid.Normalize(c.FormValue("id_no")), c.IP()); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"message": models.NHICodeSent, "keep": true})
}

// confirmNHICode sets the password with the 驗證碼.
func (s *Server) confirmNHICode(c *fiber.Ctx) error {
	card, err := nhiCard(c)
	if err != nil {
		return err
	}
	err = s.Store.ConfirmNHICode(c.UserContext(), models.NHIConfirm{Card: card, TypedID: twid.Normalize(c.FormValue("id_no")),
		Code: c.FormValue("code"), Password: c.FormValue("password"), Password2: c.FormValue("password2"), IP: c.IP()})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"message": "密碼已設定。請回登入頁，選擇「健保卡」並以新密碼登入。"})
}
