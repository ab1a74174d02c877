package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/multicert/multicert/handlers"
	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
	"github.com/multicert/multicert/policy"
)

// readyzReport is the JSON of /readyz.
type readyzReport struct {
	Status  string            `json:"status"`
	Failing []string          `json:"failing"`
	Checks  map[string]string `json:"checks"`
}

// getReadyz asks app for /readyz and decodes its report.
func getReadyz(t *testing.T, app *fiber.App) (int, readyzReport) {
	t.Helper()
	res, err := app.Test(httptest.NewRequest("GET", "/readyz", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var rep readyzReport
	if err := json.NewDecoder(res.Body).Decode(&rep); err != nil {
		t.Fatalf("readyz: %v", err)
	}
	return res.StatusCode, rep
}

func getStatus(t *testing.T, app *fiber.App, path string) int {
	t.Helper()
	res, err := app.Test(httptest.NewRequest("GET", path, nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestReadyz checks each of /readyz's checks on both databases, on the full
// app and on a worker's health-only app.
func TestReadyz(t *testing.T) {
	t.Parallel()
	modelstest.EachDB(t, func(t *testing.T, db *bun.DB) {
		store, _ := modelstest.NewStore(db)
		var jobsErr error
		ready := &handlers.Readiness{Jobs: func() error { return jobsErr }}
		deps := handlers.Deps{Store: store, Enforcer: policy.MustNew(), Version: "test", Readiness: ready}
		app, _, err := handlers.New(deps)
		if err != nil {
			t.Fatal(err)
		}
		worker, err := handlers.NewHealthApp(deps)
		if err != nil {
			t.Fatal(err)
		}

		for name, a := range map[string]*fiber.App{"web": app, "worker": worker} {
			code, rep := getReadyz(t, a)
			if code != fiber.StatusOK || rep.Status != "ready" || len(rep.Failing) != 0 {
				t.Errorf("%s: readyz = %d %+v, want 200 and ready", name, code, rep)
			}
			for _, c := range []string{"shutdown", "database", "schema", "jobs"} {
				if rep.Checks[c] != "ok" {
					t.Errorf("%s: check %s = %q, want ok", name, c, rep.Checks[c])
				}
			}
		}
		if got := getStatus(t, worker, "/console/login"); got != fiber.StatusNotFound {
			t.Errorf("worker: /console/login = %d, want 404", got)
		}
		// app.Test's peer is 0.0.0.0, outside the default metrics networks.
		if got := getStatus(t, worker, "/metrics"); got != fiber.StatusNotFound {
			t.Errorf("worker: /metrics from outside the metrics networks = %d, want 404", got)
		}

		t.Run("jobs", func(t *testing.T) {
			jobsErr = errors.New("jobs: the job client has stopped")
			defer func() { jobsErr = nil }()
			code, rep := getReadyz(t, app)
			if code != fiber.StatusServiceUnavailable || strings.Join(rep.Failing, ",") != "jobs" || !strings.Contains(rep.Checks["jobs"], "stopped") {
				t.Errorf("readyz = %d %+v, want 503 failing jobs", code, rep)
			}
		})

		t.Run("schema", func(t *testing.T) {
			st, err := models.MigrationStatuses(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			newest := st[len(st)-1]
			if _, err := models.MigrateDown(context.Background(), db); err != nil {
				t.Fatal(err)
			}
			defer models.MigrateUp(context.Background(), db) //nolint:errcheck // the next checks see it fail
			code, rep := getReadyz(t, app)
			if code != fiber.StatusServiceUnavailable || strings.Join(rep.Failing, ",") != "schema" {
				t.Fatalf("readyz = %d %+v, want 503 failing schema", code, rep)
			}
			if want := newest.Name; !strings.Contains(rep.Checks["schema"], want) || !strings.Contains(rep.Checks["schema"], "1 migration(s) not applied") {
				t.Errorf("schema check = %q, want it to name migration %d %s", rep.Checks["schema"], newest.Version, want)
			}
		})

		t.Run("drain", func(t *testing.T) {
			ready.Drain()
			code, rep := getReadyz(t, app)
			if code != fiber.StatusServiceUnavailable || strings.Join(rep.Failing, ",") != "shutdown" || rep.Checks["shutdown"] != "draining" {
				t.Errorf("readyz while draining = %d %+v, want 503 failing shutdown", code, rep)
			}
			if got := getStatus(t, app, "/healthz"); got != fiber.StatusOK {
				t.Errorf("healthz while draining = %d, want 200", got)
			}
		})

		t.Run("database", func(t *testing.T) {
			// A fresh readiness: not draining, so the database is asked.
			deps.Readiness = &handlers.Readiness{}
			app, err := handlers.NewHealthApp(deps)
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			code, rep := getReadyz(t, app)
			if code != fiber.StatusServiceUnavailable || strings.Join(rep.Failing, ",") != "database" {
				t.Errorf("readyz with the database closed = %d %+v, want 503 failing database", code, rep)
			}
			if _, ok := rep.Checks["jobs"]; ok {
				t.Errorf("readyz without a job client reports jobs: %+v", rep.Checks)
			}
		})
	})
}
