package models_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// loginMessage is what the login page would show for an attempt: the
// error's message, or "ok".
func loginMessage(t *testing.T, s *models.Store, username, pw, ip string) string {
	t.Helper()
	_, _, err := s.StaffLogin(context.Background(), "", username, pw, ip, "")
	if err == nil {
		return "ok"
	}
	e, ok := apperr.As(err)
	if !ok {
		t.Fatalf("login %s: %v", username, err)
	}
	return e.Message
}

func mustStaffWithEmail(t *testing.T, s *models.Store, username string) *models.Staff {
	t.Helper()
	st := &models.Staff{Username: username, Name: "測試" + username, Role: models.RoleStaff, BranchCode: ptr("2"), Email: username + "@nhi.example.com"}
	if err := s.CreateStaff(context.Background(), models.SystemActor, st, "Correct-Horse-1"); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestStaffLoginThrottle(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s, clk := modelstest.NewStore(db)
		mustBranches(t, s)
		st := mustStaffWithEmail(t, s, "alice")

		t.Run("a real and an unknown name answer alike", func(t *testing.T) {
			// Ten failures each, the clock moved on past every delay so
			// that all count; the real name from one address, the unknown
			// from another. The eleventh attempt is delayed too.
			waits := map[int]time.Duration{5: 1, 6: 2, 7: 4, 8: 8, 9: 15, 10: 15}
			for i := 1; i <= 11; i++ {
				real := loginMessage(t, s, "alice", "wrong", "192.0.2.1")
				unknown := loginMessage(t, s, "nobody", "wrong", "192.0.2.2")
				if real != unknown {
					t.Fatalf("attempt %d: real account %q, unknown %q; want the same answer", i, real, unknown)
				}
				if strings.Contains(real, "帳號已暫時鎖定") {
					t.Fatalf("attempt %d: %q speaks of a locked account", i, real)
				}
				if i == 5 && !strings.Contains(real, "1 分鐘") {
					t.Errorf("fifth failure: %q, want a one-minute delay", real)
				}
				clk.Advance(waits[i] * time.Minute)
			}
		})
		t.Run("the holder is mailed once, an unknown name mails nobody", func(t *testing.T) {
			var mails []models.Mail
			if err := db.NewSelect().Model(&mails).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			if len(mails) != 1 || mails[0].ToAddrs != st.Email {
				t.Fatalf("mails %+v, want one to %s", mails, st.Email)
			}
			for _, want := range []string{"alice", "192.0.2.1", "115/03/02"} {
				if !strings.Contains(mails[0].Body, want) {
					t.Errorf("mail body lacks %q:\n%s", want, mails[0].Body)
				}
			}
			counts := map[string]int{}
			for _, a := range auditActions(t, db) {
				counts[a]++
			}
			if counts["staff.locked"] != 1 || counts["staff.login_failed"] != 21 {
				t.Errorf("audit actions %v, want one staff.locked and 21 staff.login_failed", counts)
			}
		})
		t.Run("the holder logs in from another address", func(t *testing.T) {
			for i := 0; i < 5; i++ {
				loginMessage(t, s, "alice", "guess", "203.0.113.66")
			}
			if got := loginMessage(t, s, "alice", "Correct-Horse-1", "203.0.113.66"); !strings.Contains(got, "分鐘後再試") {
				t.Fatalf("right password from the attacker's address: %q, want delayed", got)
			}
			if got := loginMessage(t, s, "alice", "Correct-Horse-1", "198.51.100.20"); got != "ok" {
				t.Fatalf("the holder from another address: %q, want ok", got)
			}
		})
		t.Run("one client spraying ten accounts is delayed", func(t *testing.T) {
			clk.Advance(time.Hour)
			for i := 1; i <= 20; i++ {
				name := fmt.Sprintf("user%d", i%10)
				if i%10 == 0 {
					name = "alice"
				}
				got := loginMessage(t, s, name, "Spring2026!", "192.0.2.99")
				if want := models.ErrBadCredentials.Message; i < 20 && got != want {
					t.Fatalf("attempt %d: %q, want %q", i, got, want)
				}
				if i == 20 && !strings.Contains(got, "1 分鐘後再試") {
					t.Fatalf("20th failure: %q, want a one-minute delay", got)
				}
			}
			if got := loginMessage(t, s, "user42", "Spring2026!", "192.0.2.99"); !strings.Contains(got, "分鐘後再試") {
				t.Errorf("21st attempt, on a fresh name: %q, want delayed", got)
			}
			if got := loginMessage(t, s, "alice", "Correct-Horse-1", "192.0.2.100"); got != "ok" {
				t.Errorf("the holder from another address: %q, want ok", got)
			}
		})
		t.Run("a disabled account answers as a wrong password", func(t *testing.T) {
			mustStaff(t, s, "carol", models.RoleAuditor, nil)
			if _, err := db.NewUpdate().Table("staff").Set("status = 'disabled'").Where("username = 'carol'").Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if got := loginMessage(t, s, "carol", "Correct-Horse-1", "192.0.2.7"); got != models.ErrBadCredentials.Message {
				t.Errorf("disabled: %q", got)
			}
		})
	})
}

// TestStaffLoginTiming compares how long a wrong password for a real name
// and any password for an unknown name take, and how long a delayed attempt
// takes, by their medians over 20 tries each. The factor is generous: the
// point is that no answer is several times faster than another.
func TestStaffLoginTiming(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("timing")
	}
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		s, _ := modelstest.NewStore(db)
		mustBranches(t, s)
		mustStaff(t, s, "alice", models.RoleStaff, ptr("2"))
		timed := func(username, ip string) time.Duration {
			start := time.Now()
			_, _, err := s.StaffLogin(context.Background(), "", username, "wrong", ip, "")
			d := time.Since(start)
			if !errors.Is(err, models.ErrBadCredentials) && !apperr.Is(err, apperr.Locked) {
				t.Fatalf("login %s: %v", username, err)
			}
			return d
		}
		// Delayed attempts: five failures from one address each first.
		for i := 0; i < 5; i++ {
			timed("alice", "10.3.0.1")
			timed("nobody", "10.3.0.2")
		}
		// Then the four kinds interleaved, so that load from other tests
		// falls on all alike; checked attempts each from their own
		// address, so none is delayed.
		var real, unknown, delayed, delayedUnknown []time.Duration
		for i := 0; i < 20; i++ {
			real = append(real, timed("alice", fmt.Sprintf("10.1.0.%d", i)))
			unknown = append(unknown, timed("nobody", fmt.Sprintf("10.2.0.%d", i)))
			delayed = append(delayed, timed("alice", "10.3.0.1"))
			delayedUnknown = append(delayedUnknown, timed("nobody", "10.3.0.2"))
		}
		wantSimilar(t, "real/unknown name", median(real), median(unknown))
		wantSimilar(t, "delayed real/unknown name", median(delayed), median(delayedUnknown))
		wantSimilar(t, "delayed/checked real name", median(delayed), median(real))
	})
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func wantSimilar(t *testing.T, what string, a, b time.Duration) {
	t.Helper()
	r := float64(a) / float64(b)
	t.Logf("%s: medians %v / %v = %.2f", what, a, b, r)
	if r < 1.0/3 || r > 3 {
		t.Errorf("%s: median ratio %.2f (%v / %v), want within a factor of 3", what, r, a, b)
	}
}
