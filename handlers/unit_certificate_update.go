package handlers

import (
	"encoding/base64"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/models"
)

// updateCertificate checks a new unit certificate read from the card:
// with step=check it shows 發行者, 主體, 序號, validity, the kind and the
// identifier it carries; with step=save it binds the account to it.
func (s *Server) updateCertificate(c *fiber.Ctx) error {
	p := principal(c)
	vm, err := s.certificateView(c)
	if err != nil {
		return err
	}
	der, err := base64.StdEncoding.DecodeString(c.FormValue("cert"))
	if err != nil || len(der) == 0 {
		vm.Error = "讀不到憑證，請將新的單位憑證放入讀卡機後按「讀取」。"
		return s.render(c, fiber.StatusUnprocessableEntity, "portal_certificate", vm)
	}
	kind, cert, verr := s.Cards.Units.VerifyCertificate(c.UserContext(), der, nil)
	if verr != nil {
		e, _ := apperr.As(verr)
		vm.Error = "這張憑證不能使用：" + e.Message
		return s.render(c, fiber.StatusUnprocessableEntity, "portal_certificate", vm)
	}
	id, err := certlogin.UnitID(kind, cert)
	if err != nil {
		vm.Error = "這張" + kind.Name() + "上讀不到" + kind.IDName() + "，不能作為單位憑證。"
		return s.render(c, fiber.StatusUnprocessableEntity, "portal_certificate", vm)
	}
	vm.New, vm.NewKind, vm.NewID, vm.NewDER = cert, kind, id, base64.StdEncoding.EncodeToString(der)
	if !vm.Unit.HasCertID(kind, id) {
		own, ok := vm.Unit.CertID(kind)
		if !ok {
			own = "未登記"
		}
		vm.Error = "這張" + kind.Name() + "的" + kind.IDName() + "（" + id + "）不是貴單位的" + kind.IDName() + "（" + own + "），請放入貴單位的單位憑證。"
		return s.render(c, fiber.StatusUnprocessableEntity, "portal_certificate", vm)
	}
	if c.FormValue("step") != "save" {
		return s.render(c, fiber.StatusOK, "portal_certificate", vm)
	}
	issuer, serial := certlogin.IssuerSerial(cert)
	err = s.Store.ChangeUnitCert(c.UserContext(), p.Actor(c), p.UnitID,
		models.CertInfo{Issuer: issuer, Serial: serial, Subject: cert.Subject.String(), NotBefore: cert.NotBefore, NotAfter: cert.NotAfter}, kind, id)
	if err != nil {
		e, ok := apperr.As(err)
		if !ok || (e.Code != apperr.Invalid && e.Code != apperr.Conflict) {
			return err
		}
		vm.Error = e.Message
		return s.render(c, fiber.StatusUnprocessableEntity, "portal_certificate", vm)
	}
	s.flash(c, "單位憑證已更新。下次登入請使用新的"+kind.Name()+"，舊憑證已不能登入。")
	return redirect(c, "/portal/certificate")
}
