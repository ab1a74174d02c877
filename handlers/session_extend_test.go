package handlers_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/multicert/multicert/models/modelstest"
)

func TestSessionTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, modelstest.MustOpenSQLite(t))
	c := e.staffClient("taipei.staff")
	r := c.get("/console")
	wantStatus(t, r, http.StatusOK)
	if got := r.Header.Get("X-Session-Left"); got != "1800" {
		t.Errorf("X-Session-Left = %q, want 1800", got)
	}
	body := r.doc(t).Find("body")
	if idle, _ := body.Attr("data-session-idle"); idle != "1800" {
		t.Errorf("data-session-idle = %q, want 1800", idle)
	}

	t.Run("PollDoesNotExtend", func(t *testing.T) {
		e.clock.Advance(2 * time.Minute)
		r := c.get("/console/work", "HX-Request", "true")
		if got := r.Header.Get("X-Session-Left"); got != "1680" {
			t.Errorf("after 2 minutes, the poll says X-Session-Left %q, want 1680", got)
		}
	})

	t.Run("ContinueResetsIdle", func(t *testing.T) {
		e.clock.Advance(30 * time.Second) // under the once-a-minute record
		r := c.post("/console/session", nil, "HX-Request", "true")
		if r.StatusCode != http.StatusNoContent || r.Header.Get("X-Session-Left") != "1800" {
			t.Fatalf("繼續使用: %d, X-Session-Left %q; want 204 and 1800", r.StatusCode, r.Header.Get("X-Session-Left"))
		}
		e.clock.Advance(29 * time.Minute)
		wantStatus(t, c.get("/console/units"), http.StatusOK)
	})

	t.Run("FormAfterExpiryLogsInAgain", func(t *testing.T) {
		e.clock.Advance(31 * time.Minute)
		r := c.post("/console/session", nil)
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/console/login" {
			t.Errorf("a form after expiry: %d to %q, want 303 to /console/login", r.StatusCode, r.Header.Get("Location"))
		}
	})
}
