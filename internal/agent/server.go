package agent

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Config configures a Server.
type Config struct {
	// Version is the agent's version, shown by GET / and GET /v1/version.
	Version string
	// AllowedOrigins are the web origins (scheme://host[:port]) whose pages
	// may use the API. Entries that ParseOrigin rejects are ignored, with a
	// warning in the log; callers should check them with ParseOrigin first.
	AllowedOrigins []string
	// SignPerMinute is how many sign requests one origin may make per
	// minute; DefaultSignPerMinute when 0 or less.
	SignPerMinute int
	// Logger receives one line per request (method, path, status,
	// duration), never a body; slog.Default() when nil.
	Logger *slog.Logger
	// Now is the rate limiter's clock; time.Now when nil. Tests set it.
	Now func() time.Time
}

// Server is the agent's HTTP API over a Backend. See Handler for the
// routes.
type Server struct {
	backend Backend
	ctrl    Controller // nil unless the backend is simulated
	version string
	origins map[string]bool
	allowed []string // canonical, in the configured order
	limiter *limiter
	log     *slog.Logger
}

// NewServer returns the API of b. When b also implements Controller, the
// simulated reader's control endpoints are mounted too.
func NewServer(b Backend, cfg Config) *Server {
	s := &Server{
		backend: b,
		version: cfg.Version,
		origins: map[string]bool{},
		log:     cfg.Logger,
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.version == "" {
		s.version = "dev"
	}
	if c, ok := b.(Controller); ok {
		s.ctrl = c
	}
	for _, o := range cfg.AllowedOrigins {
		c, err := ParseOrigin(o)
		if err != nil {
			s.log.Warn("agent: ignoring allowed origin", "err", err)
			continue
		}
		if !s.origins[c] {
			s.origins[c] = true
			s.allowed = append(s.allowed, c)
		}
	}
	n := cfg.SignPerMinute
	if n <= 0 {
		n = DefaultSignPerMinute
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	s.limiter = newLimiter(n, time.Minute, now)
	return s
}

// Handler returns the HTTP handler of the API:
//
//	GET  /                 a zh-TW page about the agent (no Origin needed)
//	GET  /v1/version       {"version": "…", "api": 1}
//	GET  /v1/readers       {"readers": [ReaderStatus…]}
//	POST /v1/read          {"reader": "…"} → CardData
//	POST /v1/sign          {"reader": "…", "pin": "…", "nonce": "<base64>"} → Signature
//	GET  /v1/sim/cards     {"cards": [WalletCard…]}   (simulated backends only)
//	POST /v1/sim/insert    {"reader": "…", "label": "…"} → {"cards": […]}
//	POST /v1/sim/remove    {"reader": "…"} → {"cards": […]}
//
// Every /v1 request must carry an allowed Origin header.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		s.serve(rec, r)
		s.log.Info("agent request",
			"method", r.Method,
			"path", r.URL.Path,
			"status", rec.status,
			"duration", time.Since(start))
	})
}

// statusRecorder remembers the status code for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(p)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/":
		s.servePage(w, r)
	case r.URL.Path == "/v1" || strings.HasPrefix(r.URL.Path, "/v1/"):
		s.serveAPI(w, r)
	default:
		http.NotFound(w, r)
	}
}

// route is one API endpoint.
type route struct {
	method  string
	handler func(s *Server, w http.ResponseWriter, r *http.Request, origin string)
	sim     bool // mounted only for a Controller backend
}

var routes = map[string]route{
	"/v1/version":    {http.MethodGet, (*Server).handleVersion, false},
	"/v1/readers":    {http.MethodGet, (*Server).handleReaders, false},
	"/v1/read":       {http.MethodPost, (*Server).handleRead, false},
	"/v1/sign":       {http.MethodPost, (*Server).handleSign, false},
	"/v1/sim/cards":  {http.MethodGet, (*Server).handleSimCards, true},
	"/v1/sim/insert": {http.MethodPost, (*Server).handleSimInsert, true},
	"/v1/sim/remove": {http.MethodPost, (*Server).handleSimRemove, true},
}

// checkOrigin returns the canonical form of the request's Origin header when
// it is one of the allowed origins.
func (s *Server) checkOrigin(r *http.Request) (string, bool) {
	vals := r.Header.Values("Origin")
	if len(vals) != 1 {
		return "", false
	}
	c, err := ParseOrigin(vals[0])
	if err != nil || !s.origins[c] {
		return "", false
	}
	return c, true
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	origin, ok := s.checkOrigin(r)
	if !ok {
		writeError(w, &Error{Code: ErrForbiddenOrigin, Message: "此網站不在讀卡程式允許的網站清單中，無法使用讀卡機。"})
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Allow-Methods", "GET, POST")
	h.Set("Access-Control-Allow-Headers", "Content-Type")
	h.Set("Access-Control-Max-Age", "600")
	if r.Method == http.MethodOptions {
		if strings.EqualFold(r.Header.Get("Access-Control-Request-Private-Network"), "true") {
			h.Set("Access-Control-Allow-Private-Network", "true")
		}
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	rt, ok := routes[r.URL.Path]
	if !ok || rt.sim && s.ctrl == nil {
		writeErrorStatus(w, http.StatusNotFound, &Error{Code: ErrBadRequest, Message: "找不到這個 API。"})
		return
	}
	if r.Method != rt.method {
		h.Set("Allow", rt.method+", OPTIONS")
		writeErrorStatus(w, http.StatusMethodNotAllowed, &Error{Code: ErrBadRequest, Message: "不支援這個請求方法。"})
		return
	}
	rt.handler(s, w, r, origin)
}

func (s *Server) handleVersion(w http.ResponseWriter, r *http.Request, _ string) {
	writeJSON(w, http.StatusOK, map[string]any{"version": s.version, "api": APIVersion})
}

func (s *Server) handleReaders(w http.ResponseWriter, r *http.Request, _ string) {
	rs, err := s.backend.Readers(r.Context())
	if err != nil {
		s.backendError(w, r, err, "")
		return
	}
	if rs == nil {
		rs = []ReaderStatus{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"readers": rs})
}

type readRequest struct {
	Reader string `json:"reader"`
}

func (s *Server) handleRead(w http.ResponseWriter, r *http.Request, _ string) {
	var req readRequest
	if e := decodeBody(r, &req); e != nil {
		writeErrorStatus(w, e.status, e.err)
		return
	}
	reader, err := s.pickReader(r.Context(), req.Reader)
	if err != nil {
		s.backendError(w, r, err, "")
		return
	}
	cd, err := s.backend.Read(r.Context(), reader)
	if err != nil {
		s.backendError(w, r, err, "")
		return
	}
	writeJSON(w, http.StatusOK, cd)
}

type signRequest struct {
	Reader string `json:"reader"`
	PIN    string `json:"pin"`
	Nonce  string `json:"nonce"`
}

func (s *Server) handleSign(w http.ResponseWriter, r *http.Request, origin string) {
	var req signRequest
	if e := decodeBody(r, &req); e != nil {
		writeErrorStatus(w, e.status, e.err)
		return
	}
	nonce, ok := decodeBase64(req.Nonce)
	if !ok || len(nonce) < MinNonceBytes || len(nonce) > MaxNonceBytes {
		writeError(w, &Error{Code: ErrBadRequest, Message: "登入挑戰碼（nonce）格式不正確，請重新整理網頁後再試。"})
		return
	}
	if !validPIN(req.PIN) {
		writeError(w, &Error{Code: ErrBadRequest, Message: fmt.Sprintf("PIN 碼須為 %d 到 %d 個英文字母或數字。", MinPINLen, MaxPINLen)})
		return
	}
	// Only well-formed requests, the ones that reach the card, count.
	if ok, wait := s.limiter.allow(origin); !ok {
		secs := int((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeError(w, &Error{Code: ErrRateLimited, Message: fmt.Sprintf("簽章請求太頻繁，請於 %d 秒後再試。", secs)})
		return
	}
	reader, err := s.pickReader(r.Context(), req.Reader)
	if err != nil {
		s.backendError(w, r, err, req.PIN)
		return
	}
	sig, err := s.backend.Sign(r.Context(), reader, req.PIN, Digest(origin, nonce))
	if err != nil {
		s.backendError(w, r, err, req.PIN)
		return
	}
	writeJSON(w, http.StatusOK, sig)
}

type simRequest struct {
	Reader string `json:"reader"`
	Label  string `json:"label"`
}

func (s *Server) handleSimCards(w http.ResponseWriter, r *http.Request, _ string) {
	s.writeWallet(w)
}

func (s *Server) handleSimInsert(w http.ResponseWriter, r *http.Request, _ string) {
	var req simRequest
	if e := decodeBody(r, &req); e != nil {
		writeErrorStatus(w, e.status, e.err)
		return
	}
	if err := s.ctrl.Insert(req.Reader, req.Label); err != nil {
		s.backendError(w, r, err, "")
		return
	}
	s.writeWallet(w)
}

func (s *Server) handleSimRemove(w http.ResponseWriter, r *http.Request, _ string) {
	var req simRequest
	if e := decodeBody(r, &req); e != nil {
		writeErrorStatus(w, e.status, e.err)
		return
	}
	if err := s.ctrl.Remove(req.Reader); err != nil {
		s.backendError(w, r, err, "")
		return
	}
	s.writeWallet(w)
}

func (s *Server) writeWallet(w http.ResponseWriter) {
	cards := s.ctrl.Wallet()
	if cards == nil {
		cards = []WalletCard{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"cards": cards})
}

// pickReader returns reader, or when it is empty the only reader that holds
// a card.
func (s *Server) pickReader(ctx context.Context, reader string) (string, error) {
	if reader != "" {
		return reader, nil
	}
	rs, err := s.backend.Readers(ctx)
	if err != nil {
		return "", err
	}
	if len(rs) == 0 {
		return "", &Error{Code: ErrNoReader, Message: "找不到讀卡機，請確認讀卡機已接上電腦。"}
	}
	var with []string
	for _, st := range rs {
		if st.Present {
			with = append(with, st.Name)
		}
	}
	switch len(with) {
	case 0:
		return "", &Error{Code: ErrNoCard, Message: "讀卡機中沒有卡片，請插入卡片。"}
	case 1:
		return with[0], nil
	}
	return "", &Error{Code: ErrBadRequest, Message: "有多台讀卡機插著卡片，請選擇要使用的讀卡機。"}
}

// backendError answers err. An *Error passes through, unless its message
// contains pin; anything else is logged and answered as internal.
func (s *Server) backendError(w http.ResponseWriter, r *http.Request, err error, pin string) {
	var ae *Error
	if errors.As(err, &ae) && statusOf(ae.Code) != http.StatusInternalServerError {
		out := *ae
		if pin != "" && strings.Contains(out.Message, pin) {
			out.Message = defaultMessage(out.Code)
		}
		if out.Message == "" {
			out.Message = defaultMessage(out.Code)
		}
		writeError(w, &out)
		return
	}
	msg := err.Error()
	if pin != "" {
		msg = strings.ReplaceAll(msg, pin, "[PIN]")
	}
	s.log.Error("agent backend error", "path", r.URL.Path, "err", msg)
	writeError(w, &Error{Code: ErrInternal, Message: defaultMessage(ErrInternal)})
}

// defaultMessage is the zh-TW message of an error code.
func defaultMessage(code string) string {
	switch code {
	case ErrNoReader:
		return "找不到讀卡機，請確認讀卡機已接上電腦。"
	case ErrNoCard:
		return "讀卡機中沒有卡片，請插入卡片。"
	case ErrCardRemoved:
		return "卡片在讀取中被取出，請重新插入卡片後再試。"
	case ErrUnsupportedCard:
		return "無法辨識這張卡片，請使用健保卡、自然人憑證或工商憑證。"
	case ErrWrongPIN:
		return "PIN 碼錯誤。"
	case ErrPINLocked:
		return "PIN 碼錯誤次數過多，卡片已鎖卡，請洽發卡單位解鎖。"
	case ErrForbiddenOrigin:
		return "此網站不在讀卡程式允許的網站清單中。"
	case ErrRateLimited:
		return "請求太頻繁，請稍後再試。"
	case ErrBadRequest:
		return "請求格式不正確。"
	}
	return "讀卡程式發生錯誤，請稍後再試；若持續發生，請重新啟動讀卡程式。"
}

// statusOf is the HTTP status of an error code.
func statusOf(code string) int {
	switch code {
	case ErrBadRequest:
		return http.StatusBadRequest
	case ErrForbiddenOrigin:
		return http.StatusForbidden
	case ErrNoReader, ErrNoCard:
		return http.StatusNotFound
	case ErrCardRemoved:
		return http.StatusConflict
	case ErrUnsupportedCard, ErrWrongPIN:
		return http.StatusUnprocessableEntity
	case ErrPINLocked:
		return http.StatusLocked
	case ErrRateLimited:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// decodeBody reads a JSON request body of at most MaxBodyBytes into v and
// zeroes its copy of the body (which may hold a PIN) afterwards.
func decodeBody(r *http.Request, v any) *httpError {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return &httpError{http.StatusUnsupportedMediaType, &Error{Code: ErrBadRequest, Message: "請求內容須為 JSON（Content-Type: application/json）。"}}
	}
	// One fixed buffer, so that no grown-and-dropped copy of the PIN is left
	// behind; it is zeroed when done.
	buf := make([]byte, MaxBodyBytes+1)
	defer clear(buf)
	n, err := io.ReadFull(r.Body, buf)
	switch {
	case err == nil:
		return &httpError{http.StatusRequestEntityTooLarge, &Error{Code: ErrBadRequest, Message: "請求內容太大。"}}
	case err != io.EOF && err != io.ErrUnexpectedEOF:
		return &httpError{http.StatusBadRequest, &Error{Code: ErrBadRequest, Message: "無法讀取請求內容。"}}
	}
	if err := json.Unmarshal(buf[:n], v); err != nil {
		return &httpError{http.StatusBadRequest, &Error{Code: ErrBadRequest, Message: "請求內容不是正確的 JSON。"}}
	}
	return nil
}

// decodeBase64 accepts standard or URL-safe base64, padded or not.
func decodeBase64(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

// validPIN reports whether pin has MinPINLen to MaxPINLen ASCII letters or
// digits.
func validPIN(pin string) bool {
	if len(pin) < MinPINLen || len(pin) > MaxPINLen {
		return false
	}
	for i := 0; i < len(pin); i++ {
		c := pin[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"讀卡程式發生錯誤。"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, e *Error) {
	writeErrorStatus(w, statusOf(e.Code), e)
}

// httpError is an API error with a status other than its code's.
type httpError struct {
	status int
	err    *Error
}

func writeErrorStatus(w http.ResponseWriter, status int, e *Error) {
	writeJSON(w, status, map[string]*Error{"error": e})
}
