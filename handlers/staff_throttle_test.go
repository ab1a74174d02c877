package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/demo"
	"github.com/multicert/multicert/handlers"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
	"github.com/multicert/multicert/policy"
)

// loginError is the error shown on a login page, "" when none.
func loginError(t *testing.T, r *response) string {
	t.Helper()
	return strings.TrimSpace(r.doc(t).Find("#login-error").Text())
}

// twoInstances starts two apps, each with its own connection pool, on one
// fresh database with the demo data, as two server instances behind a load
// balancer; they share the test clock.
func twoInstances(t *testing.T, d models.Dialect) (*env, *env) {
	t.Helper()
	var dbURL string
	if d == models.Postgres {
		dbURL = modelstest.MustURLPG(t, true)
	} else {
		dbURL = modelstest.URLSQLite(t)
	}
	open := func() *bun.DB {
		db, err := models.Open(context.Background(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { models.Close(db) })
		if _, err := models.MigrateUp(context.Background(), db); err != nil {
			t.Fatal(err)
		}
		return db
	}
	e1 := newEnv(t, open())
	db2 := open()
	store2, _ := modelstest.NewStore(db2)
	store2.Now = e1.clock.Now
	app2, srv2, err := handlers.New(handlers.Deps{Store: store2, Enforcer: policy.MustNew(), Version: "test", Downloads: t.TempDir(),
		Cards: testCards(t)})
	if err != nil {
		t.Fatal(err)
	}
	return e1, &env{t: t, db: db2, store: store2, clock: e1.clock, app: app2, srv: srv2}
}

// TestStaffLoginAcrossInstances alternates failed logins between two
// instances: the delay that five failures earn holds on both, which a
// per-instance limiter would not do (each instance saw fewer than five).
func TestStaffLoginAcrossInstances(t *testing.T) {
	t.Parallel()
	for _, d := range modelstest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			e1, e2 := twoInstances(t, d)
			clients := [2]*client{e1.anonymous(), e2.anonymous()}
			for _, c := range clients {
				c.scrapeCSRF(c.get("/console/login"))
			}
			for i := 1; i <= 4; i++ {
				r := clients[i%2].post("/console/login", url.Values{"username": {"south.staff"}, "password": {"bad"}})
				wantStatus(t, r, http.StatusUnprocessableEntity)
				wantContains(t, r, "帳號或密碼錯誤")
			}
			r := clients[1].post("/console/login", url.Values{"username": {"south.staff"}, "password": {"bad"}})
			wantContains(t, r, "請於 1 分鐘後再試")
			for i, c := range clients {
				r := c.post("/console/login", url.Values{"username": {"south.staff"}, "password": {demo.Password}})
				if got := loginError(t, r); !strings.Contains(got, "請於 1 分鐘後再試") {
					t.Errorf("instance %d, right password after five failures on both: %q, want the delay", i+1, got)
				}
			}
			e1.clock.Advance(time.Minute)
			r = clients[0].post("/console/login", url.Values{"username": {"south.staff"}, "password": {demo.Password}})
			wantStatus(t, r, http.StatusSeeOther)
		})
	}
}

// TestStaffLoginEnumeration tries a real and an unknown user name in turn,
// as a stranger would, moving the clock past each delay: every answer is
// the same page message for both, and they take about as long (medians
// over 20 tries each).
func TestStaffLoginEnumeration(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		c := e.anonymous()
		c.scrapeCSRF(c.get("/console/login"))
		try := func(username string) (string, int, time.Duration) {
			start := time.Now()
			r := c.post("/console/login", url.Values{"username": {username}, "password": {"Guess-2026!"}})
			d := time.Since(start)
			return loginError(t, r), r.StatusCode, d
		}
		var real, unknown []time.Duration
		waits := map[int]time.Duration{5: 1, 6: 2, 7: 4, 8: 8}
		for i := 1; i <= 20; i++ {
			realMsg, realStatus, dr := try("north.staff")
			unknownMsg, unknownStatus, du := try("ghost.staff")
			real, unknown = append(real, dr), append(unknown, du)
			if realMsg != unknownMsg || realStatus != unknownStatus {
				t.Fatalf("attempt %d: real name %d %q, unknown %d %q; want the same answer", i, realStatus, realMsg, unknownStatus, unknownMsg)
			}
			if realMsg == "" || strings.Contains(realMsg, "鎖定") {
				t.Fatalf("attempt %d: %q, want a failure that does not speak of a lock", i, realMsg)
			}
			if i == 10 && !strings.Contains(realMsg, "分鐘後再試") {
				t.Errorf("tenth failure: %q, want a delay", realMsg)
			}
			w, ok := waits[i]
			if !ok && i > 8 {
				w = 15
			}
			e.clock.Advance(w * time.Minute)
		}
		mr, mu := medianOf(real), medianOf(unknown)
		ratio := float64(mr) / float64(mu)
		t.Logf("medians: real name %v, unknown name %v, ratio %.2f", mr, mu, ratio)
		if ratio < 1.0/3 || ratio > 3 {
			t.Errorf("real/unknown median ratio %.2f (%v / %v), want within a factor of 3", ratio, mr, mu)
		}
	})
}

func medianOf(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
