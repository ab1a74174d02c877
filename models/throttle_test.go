package models_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// throttle wraps a store for tests: fail counts one failure, wait returns
// the minutes CheckThrottle asks to wait (0 when not delayed).
type throttle struct {
	t     *testing.T
	s     *models.Store
	scope string
}

func (th throttle) fail(account, client string) bool {
	th.t.Helper()
	locked, err := th.s.RecordFailure(context.Background(), th.s.DB, th.scope, account, client)
	if err != nil {
		th.t.Fatal(err)
	}
	return locked
}

func (th throttle) wait(account, client string) int {
	th.t.Helper()
	err := th.s.CheckThrottle(context.Background(), th.s.DB, th.scope, account, client)
	if err == nil {
		return 0
	}
	e, ok := apperr.As(err)
	if !ok || e.Code != apperr.Locked {
		th.t.Fatalf("CheckThrottle: %v, want nil or Locked", err)
	}
	var n int
	if _, err := fmt.Sscanf(e.Message, "嘗試失敗次數過多，請於 %d 分鐘後再試。", &n); err != nil {
		th.t.Fatalf("message %q does not say how long to wait: %v", e.Message, err)
	}
	return n
}

// wantWait checks the delay; want 0 means not delayed.
func (th throttle) wantWait(account, client string, want int) {
	th.t.Helper()
	if got := th.wait(account, client); got != want {
		th.t.Fatalf("%s from %s: waits %d minutes, want %d", account, client, got, want)
	}
}

// counts returns the failures stored per kind in the scope.
func throttleCounts(t *testing.T, db bun.IDB, scope string) map[string]int {
	t.Helper()
	var rows []struct {
		Kind     string `bun:"kind"`
		Failures int    `bun:"failures"`
	}
	if err := db.NewSelect().Table("throttles").Column("kind", "failures").Where("scope = ?", scope).Scan(context.Background(), &rows); err != nil {
		t.Fatal(err)
	}
	m := map[string]int{}
	for _, r := range rows {
		m[r.Kind] += r.Failures
	}
	return m
}

func TestThrottle(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		s, clk := modelstest.NewStore(db)
		th := throttle{t, s, models.ThrottleStaffLogin}

		t.Run("pair: five failures, then delays doubling to fifteen minutes", func(t *testing.T) {
			for i := 1; i <= 4; i++ {
				if th.fail("alice", "192.0.2.1") {
					t.Fatalf("failure %d: lockedNow, want not before the fifth", i)
				}
				th.wantWait("alice", "192.0.2.1", 0)
			}
			if !th.fail("alice", "192.0.2.1") {
				t.Fatal("fifth failure: want lockedNow")
			}
			for _, want := range []int{1, 2, 4, 8, 15, 15} {
				th.wantWait("alice", "192.0.2.1", want)
				clk.Advance(time.Duration(want)*time.Minute - time.Second)
				th.wantWait("alice", "192.0.2.1", 1)
				clk.Advance(time.Second)
				th.wantWait("alice", "192.0.2.1", 0)
				if th.fail("alice", "192.0.2.1") {
					t.Fatal("lockedNow again within the same run")
				}
			}
		})
		t.Run("the holder is not delayed at another address", func(t *testing.T) {
			th.wantWait("alice", "198.51.100.7", 0)
		})
		t.Run("another account from the same address is not delayed", func(t *testing.T) {
			th.wantWait("bob", "192.0.2.1", 0)
		})
		t.Run("other scopes are apart", func(t *testing.T) {
			other := throttle{t, s, models.ThrottleNHILogin}
			other.wantWait("alice", "192.0.2.1", 0)
		})
		t.Run("a run ends an hour after it began, once no delay lasts", func(t *testing.T) {
			clk.Advance(time.Hour)
			th.wantWait("alice", "192.0.2.1", 0)
			for i := 1; i <= 4; i++ {
				th.fail("alice", "192.0.2.1")
			}
			th.wantWait("alice", "192.0.2.1", 0)
			if !th.fail("alice", "192.0.2.1") {
				t.Fatal("fifth failure of a new run: want lockedNow")
			}
			th.wantWait("alice", "192.0.2.1", 1)
		})
		t.Run("a success forgets the account's failures, not the client's", func(t *testing.T) {
			th := throttle{t, s, models.ThrottleReset}
			for i := 0; i < 4; i++ {
				th.fail("carol", "203.0.113.9")
			}
			if err := s.ClearFailures(context.Background(), db, th.scope, "carol"); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 4; i++ {
				th.fail("carol", "203.0.113.9")
			}
			th.wantWait("carol", "203.0.113.9", 0)
			if got, want := throttleCounts(t, db, th.scope), map[string]int{"account": 4, "pair": 4, "client": 8}; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("counts %v, want %v", got, want)
			}
		})
		t.Run("expired counters are purged", func(t *testing.T) {
			clk.Advance(2 * time.Hour)
			th.fail("dave", "192.0.2.44")
			n, err := s.PurgeExpiredThrottles(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				t.Error("nothing purged; want the old runs gone")
			}
			if got := throttleCounts(t, db, th.scope); got["account"] != 1 || got["pair"] != 1 || got["client"] != 1 {
				t.Errorf("after purge: %v, want only dave's fresh counters", got)
			}
		})
	})
}

func TestThrottleClientSprayingAccounts(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		s, clk := modelstest.NewStore(db)
		th := throttle{t, s, models.ThrottleStaffLogin}
		for i := 1; i <= 20; i++ {
			th.wantWait(fmt.Sprintf("user%d", i%10), "192.0.2.66", 0)
			if th.fail(fmt.Sprintf("user%d", i%10), "192.0.2.66") {
				t.Fatalf("failure %d: lockedNow; two failures per account lock none", i)
			}
		}
		th.wantWait("someone.else", "192.0.2.66", 1)
		th.wantWait("someone.else", "192.0.2.67", 0)
		clk.Advance(time.Minute)
		th.fail("user11", "192.0.2.66")
		th.wantWait("someone.else", "192.0.2.66", 2)
		t.Run("a run of the client ends after fifteen minutes", func(t *testing.T) {
			clk.Advance(15 * time.Minute)
			th.fail("user12", "192.0.2.66")
			th.wantWait("someone.else", "192.0.2.66", 0)
		})
	})
}

func TestThrottleAccountFromManyClients(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		s, clk := modelstest.NewStore(db)
		th := throttle{t, s, models.ThrottleStaffLogin}
		locks := 0
		for i := 1; i <= 50; i++ {
			if th.fail("alice", fmt.Sprintf("10.0.%d.%d", i/200, i%200)) {
				locks++
				if i != 50 {
					t.Fatalf("lockedNow at failure %d, want at the fiftieth", i)
				}
			}
		}
		if locks != 1 {
			t.Fatalf("lockedNow %d times, want once", locks)
		}
		th.wantWait("alice", "198.51.100.1", 1) // every address, the holder's too
		th.wantWait("bob", "198.51.100.1", 0)
		for _, want := range []int{2, 4, 5, 5} {
			clk.Advance(time.Duration(th.wait("alice", "198.51.100.1")) * time.Minute)
			th.fail("alice", "198.51.100.2")
			th.wantWait("alice", "198.51.100.1", want)
		}
	})
}

// TestThrottleConcurrent fails one key from 50 goroutines at once, each in a
// transaction as a login does: all 50 count.
func TestThrottleConcurrent(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		s, _ := modelstest.NewStore(db)
		ctx := context.Background()
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			locks int
			errs  []error
		)
		start := make(chan struct{})
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
					locked, err := s.RecordFailure(ctx, tx, models.ThrottleCode, "A123456789", "192.0.2.5")
					if locked {
						mu.Lock()
						locks++
						mu.Unlock()
					}
					return err
				})
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}()
		}
		close(start)
		wg.Wait()
		if len(errs) > 0 {
			t.Fatalf("%d failures failed, first: %v", len(errs), errs[0])
		}
		got := throttleCounts(t, db, models.ThrottleCode)
		if got["account"] != 50 || got["pair"] != 50 || got["client"] != 50 {
			t.Errorf("counts %v, want 50 of each", got)
		}
		if locks != 2 {
			t.Errorf("lockedNow %d times; want twice: the pair's fifth failure and the account's fiftieth", locks)
		}
		err := s.CheckThrottle(ctx, db, models.ThrottleCode, "A123456789", "192.0.2.77")
		if !apperr.Is(err, apperr.Locked) {
			t.Errorf("after 50 failures from anywhere: %v, want the account delayed", err)
		}
	})
}

// TestThrottleAcrossInstances runs two stores, each with its own connection
// pool, on one database, as two server instances do: failures alternate
// between them and the delay holds on both.
func TestThrottleAcrossInstances(t *testing.T) {
	t.Parallel()
	for _, d := range modelstest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			var url string
			if d == models.Postgres {
				url = modelstest.MustURLPG(t, true)
			} else {
				url = modelstest.URLSQLite(t)
			}
			ctx := context.Background()
			var (
				stores [2]*models.Store
				clk    *modelstest.Time
			)
			for i := range stores {
				db, err := models.Open(ctx, url)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { models.Close(db) })
				if _, err := models.MigrateUp(ctx, db); err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					stores[i], clk = modelstest.NewStore(db)
				} else {
					stores[i], _ = modelstest.NewStore(db)
					stores[i].Now = clk.Now
				}
			}
			for i := 0; i < 5; i++ {
				th := throttle{t, stores[i%2], models.ThrottleStaffLogin}
				th.wantWait("alice", "192.0.2.9", 0)
				th.fail("alice", "192.0.2.9")
			}
			for i, s := range stores {
				if got := (throttle{t, s, models.ThrottleStaffLogin}).wait("alice", "192.0.2.9"); got != 1 {
					t.Errorf("instance %d: waits %d minutes after five failures spread over both, want 1", i+1, got)
				}
			}
		})
	}
}

func TestThrottleMessageIsPlain(t *testing.T) {
	t.Parallel()
	s, _ := modelstest.NewStore(modelstest.MustOpenSQLite(t))
	th := throttle{t, s, models.ThrottleStaffLogin}
	for i := 0; i < 5; i++ {
		th.fail("alice", "192.0.2.1")
	}
	err := s.CheckThrottle(context.Background(), s.DB, th.scope, "alice", "192.0.2.1")
	if e, _ := apperr.As(err); e == nil || strings.Contains(e.Message, "帳號") || strings.Contains(e.Message, "鎖定") {
		t.Errorf("message %v: want one that does not speak of an account", err)
	}
}
