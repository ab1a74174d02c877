package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/metrics"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
)

// nhiCard reads the card data the page got from the agent.
func nhiCard(c *fiber.Ctx) (models.NHICard, error) {
	card := models.NHICard{
		CardNo: strings.TrimSpace(c.FormValue("card_no")),
		Name:   strings.TrimSpace(c.FormValue("card_name")),
		IDNo:   twid.Normalize(c.FormValue("card_id_no")),
	}
	if len(card.CardNo) != 12 || card.IDNo == "" {
		return card, apperr.New(apperr.Invalid, "讀不到健保卡資料，請確認讀卡機中是健保卡後再試。")
	}
	return card, nil
}

// createNHISession logs in with an NHI card and a password: the unit's
// responsible person (as_unit, with the unit code) or a clerk.
func (s *Server) createNHISession(c *fiber.Ctx) error {
	p := principal(c)
	if _, err := s.preLoginSession(c); err != nil {
		return err
	}
	card, err := nhiCard(c)
	if err != nil {
		return err
	}
	in := models.NHILogin{Session: p.Session, UnitCode: strings.TrimSpace(c.FormValue("unit_code")), CardNo: card.CardNo, IDNo: card.IDNo,
		Password: c.FormValue("password"), IP: c.IP(), UserAgent: string(c.Request().Header.UserAgent())}
	if in.Password == "" {
		return apperr.New(apperr.Invalid, "請輸入健保卡網路服務註冊的密碼。")
	}
	var token string
	if c.FormValue("as_unit") == "1" {
		if in.UnitCode == "" {
			return apperr.New(apperr.Invalid, "以負責人健保卡登入時，請輸入投保單位代號。")
		}
		token, _, err = s.Store.UnitNHILogin(c.UserContext(), in)
		s.countLogin(metrics.LoginUnitNHI, err)
	} else {
		var unit *models.Unit
		token, unit, err = s.Store.ClerkNHILogin(c.UserContext(), in)
		s.countLogin(metrics.LoginClerkNHI, err)
		if err == nil && unit == nil {
			s.setSessionCookie(c, token)
			return c.JSON(fiber.Map{"redirect": chooseUnitURL(c)})
		}
	}
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token)
	return c.JSON(fiber.Map{"redirect": afterLogin(c)})
}
