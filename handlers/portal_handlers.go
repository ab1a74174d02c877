package handlers

import (
	"crypto/x509"
	"encoding/base64"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
)

// HandlersView is the model of 單位管理者登錄作業 (Q1).
type HandlersView struct {
	Page
	Handlers []models.Handler
	Form     models.HandlerInput
	CardInfo string // what was read from the card, shown next to the form
	Errors   map[string]string
	Message  string
}

func (s *Server) handlersView(c *fiber.Ctx) (HandlersView, error) {
	p := principal(c)
	hs, err := models.HandlersOfUnit(c.UserContext(), s.Store.DB, p.UnitID)
	if err != nil {
		return HandlersView{}, err
	}
	return HandlersView{Page: s.agentPage(c, "單位管理者登錄作業", "handlers"), Handlers: hs, Form: models.HandlerInput{CardType: models.CardCitizenCert}}, nil
}

// showHandlers lists the unit's handlers with the form to add one.
func (s *Server) showHandlers(c *fiber.Ctx) error {
	vm, err := s.handlersView(c)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "portal_handlers", vm)
}

// createHandler assigns a handler from the card read in the browser and the
// typed fields. A citizen certificate is checked against the citizen CA
// here, so its serial and issuer come from the certificate, not the page.
func (s *Server) createHandler(c *fiber.Ctx) error {
	p := principal(c)
	in := models.HandlerInput{
		CardType: c.FormValue("card_type"), IDNo: c.FormValue("id_no"), Name: c.FormValue("name"), Email: c.FormValue("email"),
		MayFile: c.FormValue("may_file") == "1", MayManage: c.FormValue("may_manage") == "1",
	}
	vm, err := s.handlersView(c)
	if err != nil {
		return err
	}
	var certErr string
	switch in.CardType {
	case models.CardNHI:
		in.CardSerial = strings.TrimSpace(c.FormValue("card_no"))
		in.CardID = twid.Normalize(c.FormValue("card_id_no"))
		vm.CardInfo = "健保卡 " + in.CardSerial
	case models.CardCitizenCert:
		if der, err := base64.StdEncoding.DecodeString(c.FormValue("cert")); err == nil && len(der) > 0 {
			cert, verr := s.Cards.Citizen.VerifyCertificate(c.UserContext(), der, nil)
			if verr != nil {
				e, _ := apperr.As(verr)
				certErr = "讀取的自然人憑證無法使用：" + e.Message
			} else {
				in.CertIssuer, in.CardSerial = certlogin.IssuerSerial(cert)
				in.CardID, _ = certlogin.IDSuffixFromCert(cert)
				vm.CardInfo = cert.Subject.CommonName + "（憑證序號 " + in.CardSerial + "）"
			}
		}
	}
	_, err = s.Store.AddHandler(c.UserContext(), p.Actor(c), p.UnitID, in)
	if certErr != "" && err == nil {
		err = apperr.InvalidFields(certErr, map[string]string{"card": certErr})
	}
	if err != nil {
		e, ok := apperr.As(err)
		if !ok || e.Code != apperr.Invalid {
			return err
		}
		vm.Form, vm.Errors = in, e.Fields
		if certErr != "" {
			vm.Errors = map[string]string{"card": certErr}
		}
		if vm.Errors == nil {
			vm.Errors = map[string]string{"form": e.Message}
		}
		return s.render(c, fiber.StatusUnprocessableEntity, "portal_handlers", vm)
	}
	s.flash(c, "已新增承辦人「"+in.Name+"」。承辦人即可以自己的卡片登入。")
	return redirect(c, "/portal/handlers")
}

// revokeHandler deletes a handler (刪除): at once, sessions included.
func (s *Server) revokeHandler(c *fiber.Ctx) error {
	p := principal(c)
	id, err := paramID(c, "hid")
	if err != nil {
		return err
	}
	h, err := models.HandlerOfUnit(c.UserContext(), s.Store.DB, p.UnitID, id)
	if err != nil {
		return err
	}
	if h.ID == p.HandlerID {
		return apperr.New(apperr.Invalid, "不能刪除自己；請由單位帳號或其他單位管理者刪除。")
	}
	if err := s.Store.RevokeHandler(c.UserContext(), p.Actor(c), p.UnitID, id); err != nil {
		return err
	}
	s.flash(c, "已刪除承辦人「"+h.Name+"」，其權限已立即解除。")
	return redirect(c, "/portal/handlers")
}

// CertificateView is the model of 單位憑證變更作業 (Q3).
type CertificateView struct {
	Page
	Unit    *models.Unit
	Account *models.UnitAccount
	New     *x509.Certificate // the certificate read, shown before saving
	NewBAN  string
	NewDER  string
	Error   string
}

func (s *Server) certificateView(c *fiber.Ctx) (CertificateView, error) {
	p := principal(c)
	ctx := c.UserContext()
	u, err := models.UnitByID(ctx, s.Store.DB, p.Scope(), p.UnitID)
	if err != nil {
		return CertificateView{}, err
	}
	a, err := models.ActiveAccount(ctx, s.Store.DB, u.ID)
	if err != nil {
		return CertificateView{}, err
	}
	return CertificateView{Page: s.agentPage(c, "單位憑證變更作業", "certificate"), Unit: u, Account: a}, nil
}

// showCertificate shows the registered certificate and the way to replace it.
func (s *Server) showCertificate(c *fiber.Ctx) error {
	vm, err := s.certificateView(c)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "portal_certificate", vm)
}

// updateCertificate checks a new business certificate read from the card:
// with step=check it shows 發行者, 主體, 序號, validity and the company name;
// with step=save it binds the account to it.
func (s *Server) updateCertificate(c *fiber.Ctx) error {
	p := principal(c)
	vm, err := s.certificateView(c)
	if err != nil {
		return err
	}
	der, err := base64.StdEncoding.DecodeString(c.FormValue("cert"))
	if err != nil || len(der) == 0 {
		vm.Error = "讀不到憑證，請將新的工商憑證放入讀卡機後按「讀取」。"
		return s.render(c, fiber.StatusUnprocessableEntity, "portal_certificate", vm)
	}
	cert, verr := s.Cards.Business.VerifyCertificate(c.UserContext(), der, nil)
	if verr != nil {
		e, _ := apperr.As(verr)
		vm.Error = "這張憑證不能使用：" + e.Message
		return s.render(c, fiber.StatusUnprocessableEntity, "portal_certificate", vm)
	}
	ban, err := certlogin.BANFromCert(cert)
	if err != nil {
		vm.Error = "這張憑證上沒有統一編號，不是工商憑證。"
		return s.render(c, fiber.StatusUnprocessableEntity, "portal_certificate", vm)
	}
	vm.New, vm.NewBAN, vm.NewDER = cert, ban, base64.StdEncoding.EncodeToString(der)
	if ban != vm.Unit.BAN {
		vm.Error = "這張憑證的統一編號（" + ban + "）不是貴單位的統一編號（" + vm.Unit.BAN + "），請放入貴單位的工商憑證。"
		return s.render(c, fiber.StatusUnprocessableEntity, "portal_certificate", vm)
	}
	if c.FormValue("step") != "save" {
		return s.render(c, fiber.StatusOK, "portal_certificate", vm)
	}
	issuer, serial := certlogin.IssuerSerial(cert)
	err = s.Store.ChangeUnitCert(c.UserContext(), p.Actor(c), p.UnitID,
		models.CertInfo{Issuer: issuer, Serial: serial, Subject: cert.Subject.String(), NotBefore: cert.NotBefore, NotAfter: cert.NotAfter}, ban)
	if err != nil {
		e, ok := apperr.As(err)
		if !ok || (e.Code != apperr.Invalid && e.Code != apperr.Conflict) {
			return err
		}
		vm.Error = e.Message
		return s.render(c, fiber.StatusUnprocessableEntity, "portal_certificate", vm)
	}
	s.flash(c, "單位憑證已更新。下次登入請使用新的工商憑證，舊憑證已不能登入。")
	return redirect(c, "/portal/certificate")
}
