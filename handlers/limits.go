package handlers

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/policy"
)

// Request body limits. Fiber reads a body of up to maxUploadBody before any
// handler runs; limitBody then holds each request to its route's limit, so
// that a stranger's form cannot carry megabytes into a handler, a session
// or the audit log. The README lists them.
const (
	// maxPublicBody is for every request without a login and for the login
	// and registration routes: room for a certificate login with its chain.
	maxPublicBody = 16 << 10
	// maxFormBody is for a logged-in user's forms.
	maxFormBody = 256 << 10
	// maxUploadBody is for the upload routes: two proof documents of 10 MB
	// with the form, or a filing CSV file (5 MB).
	maxUploadBody = 22 << 20
)

// uploadRoutes are the routes that take files, by method and exact path.
var uploadRoutes = map[string]bool{
	"POST /portal/requests":       true, // 基本資料變更 with proof documents
	"POST /portal/filings/upload": true, // 媒體申報 (CSV)
}

// publicPosts are the state-changing routes an anonymous visitor may use,
// by method and exact path, taken from the route table and the policy: they
// keep the small limit even for a logged-in user.
func (s *Server) publicPosts() map[string]bool {
	out := map[string]bool{}
	for _, r := range s.routes {
		if r.Method != fiber.MethodGet && s.Enforcer.Allowed(policy.Anonymous, "", "", r.Guard.Object, r.Guard.Action) {
			out[r.Method+" "+r.Path] = true
		}
	}
	return out
}

// bodyLimit is the largest body the request may carry.
func (s *Server) bodyLimit(c *fiber.Ctx) int {
	key := c.Method() + " " + c.Path()
	p := principal(c)
	switch {
	case !p.LoggedIn() || s.public[key]:
		return maxPublicBody
	case uploadRoutes[key]:
		return maxUploadBody
	}
	return maxFormBody
}

// limitBody refuses a body over the route's limit (413), a compressed body
// (415: browsers never send one, and Fiber would inflate it), and a form or
// query value with NUL or invalid UTF-8 (400: PostgreSQL refuses such text,
// and no one types it). It runs after loadSession, which reads no body.
func (s *Server) limitBody(c *fiber.Ctx) error {
	req := c.Request()
	if ce := req.Header.Peek(fiber.HeaderContentEncoding); len(ce) > 0 && !bytes.EqualFold(ce, []byte("identity")) {
		return fiber.NewError(fiber.StatusUnsupportedMediaType, "不接受壓縮過的資料，請重新整理頁面後再送出。")
	}
	limit := s.bodyLimit(c)
	if n := max(req.Header.ContentLength(), len(req.Body())); n > limit {
		if limit == maxUploadBody {
			return apperr.New(apperr.TooLarge, "上傳的資料太大：每個檔案最多 10 MB，兩個檔案合計請勿超過 20 MB。")
		}
		return apperr.Newf(apperr.TooLarge, "送出的資料太大（上限 %s），請縮短輸入的內容後再送出。", sizeText(limit))
	}
	if badValues(c) {
		return fiber.NewError(fiber.StatusBadRequest, "送出的資料含有無效的字元（例如 NUL 控制字元或錯誤的文字編碼），請刪除後再送出。")
	}
	return c.Next()
}

// badValues reports whether a query or form value (not a file) holds NUL
// or is not UTF-8.
func badValues(c *fiber.Ctx) bool {
	bad := false
	check := func(k, v []byte) {
		bad = bad || bytes.IndexByte(k, 0) >= 0 || bytes.IndexByte(v, 0) >= 0 || !utf8.Valid(k) || !utf8.Valid(v)
	}
	c.Request().URI().QueryArgs().VisitAll(check)
	if bad || c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
		return bad
	}
	switch {
	case bytes.HasPrefix(c.Request().Header.ContentType(), []byte(fiber.MIMEApplicationForm)):
		c.Request().PostArgs().VisitAll(check)
	case bytes.HasPrefix(c.Request().Header.ContentType(), []byte(fiber.MIMEMultipartForm)):
		form, err := c.MultipartForm()
		if err != nil {
			return false // the handler reports the broken form
		}
		for k, vs := range form.Value {
			for _, v := range vs {
				check([]byte(k), []byte(v))
			}
		}
	}
	return bad
}

// sizeText writes a byte count as people read it: 16 KB, 256 KB, 22 MB.
func sizeText(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d KB", n>>10)
}
