package handlers

import (
	"encoding/base64"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
)

// createClerk assigns a clerk from the card read in the browser and the
// typed fields. A citizen certificate is checked against the citizen CA
// here, so its serial and issuer come from the certificate, not the page.
func (s *Server) createClerk(c *fiber.Ctx) error {
	p := principal(c)
	in := models.ClerkInput{
		CardType: c.FormValue("card_type"), IDNo: c.FormValue("id_no"), Name: c.FormValue("name"), Email: c.FormValue("email"),
		MayFile: c.FormValue("may_file") == "1", MayManage: c.FormValue("may_manage") == "1",
		NameNeedsCheck: c.FormValue("name_needs_check") == "1",
	}
	vm, err := s.clerksView(c)
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
	_, err = s.Store.AddClerk(c.UserContext(), p.Actor(c), p.UnitID, in)
	if answered, err := s.repeatedSubmit(c, err, "承辦人", func(int64) string { return "/portal/handlers" }); answered {
		return err
	}
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
		return s.render(c, fiber.StatusUnprocessableEntity, "clerk_list", vm)
	}
	s.flash(c, "已新增承辦人「"+in.Name+"」。承辦人即可以自己的卡片登入。")
	return redirect(c, "/portal/handlers")
}
