package handlers

import (
	"encoding/base64"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/models"
)

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
