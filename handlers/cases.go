package handlers

import (
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/policy"
)

// Phone support cases (電話服務案件): the console's queue of calls, the form
// that opens one, and the case page with the Q&A sheet's answer.

// caseDomain resolves the :cid of a case route to the case's branch, the
// domain the policy compares with the staff member's. Cases belong to a
// branch, not to a unit, so Server.owned does not fit; units never see cases.
func (s *Server) caseDomain(c *fiber.Ctx, dom string) (string, error) {
	if dom != policy.HeadOffice && !strings.HasPrefix(dom, "branch:") {
		return "", apperr.New(apperr.NotFound, "查無此案件，或您沒有查看的權限。")
	}
	id, err := paramID(c, "cid")
	if err != nil {
		return "", err
	}
	branch, err := models.CaseDomain(c.UserContext(), s.Store.R(), id)
	if err != nil {
		return "", err
	}
	return "branch:" + branch, nil
}

// The words of cases, added to the shared table: the status labels
// (label "case" …).
func init() {
	for code, l := range map[string]string{
		"case." + models.CaseOpen:     "處理中",
		"case." + models.CaseWaiting:  "等候單位回覆",
		"case." + models.CaseResolved: "已結案",
	} {
		labels[code] = l
	}
}

// caseHelpers are the view methods the case pages share.
type caseHelpers struct{}

// AgeText says how long a case has waited, worded as the console's age
// func words it, but measured on the store's clock.
func (caseHelpers) AgeText(d time.Duration) string {
	switch {
	case d < time.Hour:
		return "不到 1 小時"
	case d < 48*time.Hour:
		return fmt.Sprintf("%d 小時", int(d.Hours()))
	default:
		return fmt.Sprintf("%d 天", int(d.Hours()/24))
	}
}

// TopicLabel names a topic code: "Q5 登入出現「洽詢承辦人」".
func (caseHelpers) TopicLabel(code string) string {
	if t, ok := models.CaseTopicByCode(code); ok {
		return t.Label()
	}
	return code
}

// Lines splits free text into its lines, for <br> between them.
func (caseHelpers) Lines(s string) []string {
	return strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
}

// caseFormErrors turns a validation or conflict error into the messages a page
// shows: per field, and "form" for the summary. Other errors are returned.
func caseFormErrors(err error) (map[string]string, int, error) {
	e, ok := apperr.As(err)
	if !ok {
		return nil, 0, err
	}
	status := statusOf[e.Code]
	if e.Code != apperr.Invalid && e.Code != apperr.Conflict {
		return nil, 0, err
	}
	errs := map[string]string{"form": e.Message}
	for k, v := range e.Fields {
		errs[k] = v
	}
	return errs, status, nil
}
