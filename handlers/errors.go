package handlers

import (
	"errors"
	"log/slog"
	"net/url"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
)

// statusOf maps a coded error to its HTTP status: the one place that does.
var statusOf = map[apperr.Code]int{
	apperr.NotFound:     fiber.StatusNotFound,
	apperr.Forbidden:    fiber.StatusForbidden,
	apperr.Unauthorized: fiber.StatusUnauthorized,
	apperr.Invalid:      fiber.StatusUnprocessableEntity,
	apperr.Conflict:     fiber.StatusConflict,
	apperr.Locked:       fiber.StatusLocked,
	apperr.TooLarge:     fiber.StatusRequestEntityTooLarge,
	apperr.Internal:     fiber.StatusInternalServerError,
}

// statusText is what we say for plain HTTP errors whose message is not ours.
var statusText = map[int]string{
	fiber.StatusBadRequest:            "送出的資料格式有誤，請重新整理頁面後再試。",
	fiber.StatusUnauthorized:          "請先登入。",
	fiber.StatusForbidden:             "您沒有執行此功能的權限。",
	fiber.StatusNotFound:              "找不到這個頁面，請確認網址是否正確。",
	fiber.StatusMethodNotAllowed:      "不支援這種操作方式。",
	fiber.StatusRequestEntityTooLarge: "上傳的資料太大，單一檔案請勿超過 10 MB。",
	fiber.StatusTooManyRequests:       "操作太頻繁，請稍候再試。",
	fiber.StatusRequestTimeout:        "等候逾時，請再試一次。",
	fiber.StatusConflict:              "此筆資料已被其他人處理，請重新整理頁面後再試。",
	fiber.StatusUnprocessableEntity:   "送出的資料有誤，請依說明修正後再送出。",
	fiber.StatusLocked:                "失敗次數過多，已暫停登入，請稍候幾分鐘再試。",
}

// statusWords name an error status in words, and say what to do when
// the message does not: a person reads 「資料已被處理」, not 409.
var statusWords = map[int]struct{ Words, Hint string }{
	fiber.StatusBadRequest:            {"資料格式有誤", "請重新整理頁面後再試。"},
	fiber.StatusUnauthorized:          {"尚未登入", "請先登入。"},
	fiber.StatusForbidden:             {"沒有權限", "如需使用此功能，請洽貴單位的單位管理者或本署承辦人。"},
	fiber.StatusNotFound:              {"找不到資料", "請回上一頁，或由選單重新進入。"},
	fiber.StatusMethodNotAllowed:      {"不支援的操作", "請由頁面上的按鈕操作。"},
	fiber.StatusRequestTimeout:        {"等候逾時", "請再試一次。"},
	fiber.StatusConflict:              {"資料已被處理", "請重新整理頁面後再試。"},
	fiber.StatusRequestEntityTooLarge: {"檔案太大", "請縮小檔案或分批上傳。"},
	fiber.StatusUnprocessableEntity:   {"資料需要修正", "請依說明修正後再送出。"},
	fiber.StatusLocked:                {"暫停登入", "請稍候幾分鐘再試；忘記密碼請重設。"},
	fiber.StatusTooManyRequests:       {"操作太頻繁", "請稍候再試。"},
	fiber.StatusInternalServerError:   {"系統錯誤", "請稍後再試。"},
	fiber.StatusServiceUnavailable:    {"系統暫停服務", "請稍後再試。"},
}

// ErrorView is the model of the error page and the error fragment.
type ErrorView struct {
	Page
	Status  int    // the HTTP status, kept for the response and the helpdesk
	Words   string // the status in words
	Message string
	Hint    string // what to do, when the message does not say
	Ref     string // the request ID, to quote when calling
}

// errorView words an error: the status's name, and its hint unless the
// message already tells the person what to do (it asks them: 「請…」).
func errorView(pg Page, status int, msg, ref string) ErrorView {
	w, ok := statusWords[status]
	if !ok {
		w = statusWords[fiber.StatusInternalServerError]
		if status < 500 {
			w.Words = "無法完成"
		}
	}
	vm := ErrorView{Page: pg, Status: status, Words: w.Words, Message: msg, Ref: ref}
	if !strings.Contains(msg, "請") {
		vm.Hint = w.Hint
	}
	return vm
}

// handleError turns any error into a page in Chinese: a full page for a
// normal request, an alert fragment swapped into #flash for HTMX. An
// expired session is sent to the login page instead.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	status, msg := fiber.StatusInternalServerError, ""
	var fe *fiber.Error
	if e, ok := apperr.As(err); ok {
		status, msg = statusOf[e.Code], e.Message
	} else if errors.As(err, &fe) {
		status = fe.Code
		if hasCJK(fe.Message) {
			msg = fe.Message
		}
	}
	if msg == "" {
		msg = statusText[status]
	}
	// The request ID is the reference every error page shows: the line
	// logged here names it, so a caller who quotes it finds this line.
	ref, log := requestID(c), s.log(c)
	switch {
	case status >= 500:
		log.Error("request failed", "status", status, "method", c.Method(), "path", c.Path(), "err", err)
		msg = "系統發生錯誤，請稍後再試；若持續發生，請將錯誤編號告知本組承辦人。"
	case status == fiber.StatusUnauthorized:
		// Mostly an expired session sent to the login page: no page to quote.
		log.Debug("request refused", "status", status, "method", c.Method(), "path", c.Path(), "reason", err.Error())
	default:
		log.Info("request refused", "status", status, "method", c.Method(), "path", c.Path(), "reason", err.Error())
	}
	s.auditRefusal(c, err, status, msg)
	c.Vary("HX-Request")
	c.Set(fiber.HeaderCacheControl, "no-store")

	// The card pages' script posts with fetch and reads JSON.
	if strings.Contains(c.Get(fiber.HeaderAccept), "application/json") {
		body := fiber.Map{"error": msg, "ref": ref}
		if e, ok := apperr.As(err); ok && len(e.Fields) > 0 {
			body["fields"] = e.Fields
		}
		return c.Status(status).JSON(body)
	}

	if status == fiber.StatusUnauthorized {
		login := loginURL(c.Path())
		if c.Method() == fiber.MethodGet && !isHTMX(c) {
			login += "?next=" + url.QueryEscape(string(c.Request().URI().RequestURI()))
		}
		if isHTMX(c) {
			c.Set("HX-Redirect", login)
			return c.SendStatus(fiber.StatusUnauthorized)
		}
		return c.Redirect(login, fiber.StatusSeeOther)
	}

	vm := errorView(s.page(c, "錯誤", ""), status, msg, ref)
	if isHTMX(c) {
		c.Set("HX-Retarget", "#flash")
		c.Set("HX-Reswap", "innerHTML")
		return c.Status(status).Render("error_alert", vm)
	}
	return c.Status(status).Render("error_page", vm)
}

// catchErrors turns an error of the handlers below it into its page at
// once, so that the middleware above (metrics, access log, compression)
// sees the status and the body the client gets.
func (s *Server) catchErrors(c *fiber.Ctx) error {
	if err := c.Next(); err != nil {
		return s.handleError(c, err)
	}
	return nil
}

// loginURL is the login page for a part of the site.
func loginURL(path string) string {
	if strings.HasPrefix(path, "/console") {
		return "/console/login"
	}
	return "/login"
}

func hasCJK(s string) bool {
	for _, r := range s {
		if r >= 0x2E80 && utf8.ValidRune(r) {
			return true
		}
	}
	return false
}

// recoverPanic turns a panic in a handler into a 500 page and a log line
// with the stack.
func (s *Server) recoverPanic(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log(c).Error("panic", "path", c.Path(), "panic", r, "stack", string(debug.Stack()))
			err = apperr.New(apperr.Internal, "internal error")
		}
	}()
	return c.Next()
}

// Log is the logger type, named so handlers need not import slog.
type Log = slog.Logger
