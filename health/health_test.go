package health_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docflow/docflow/health"
	"github.com/docflow/docflow/storage/dbtest"
	"github.com/docflow/docflow/storage/mariadb"
	"github.com/docflow/docflow/storage/mariadbtest"
	"github.com/docflow/docflow/storage/postgres"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// probe asks the checker and returns the status code and report.
func probe(t *testing.T, c *health.Checker) (int, health.Report) {
	t.Helper()
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	var rep health.Report
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
		t.Fatalf("readyz body %q: %v", rec.Body.String(), err)
	}
	return rec.Code, rep
}

func failed(rep health.Report) map[string]string {
	m := map[string]string{}
	for _, r := range rep.Checks {
		if !r.OK {
			m[r.Name] = r.Error
		}
	}
	return m
}

// TestReadinessFollowsMariaDB stops a private MariaDB under a ready
// checker: readiness turns false naming mariadb, and true again once the
// server is back.
func TestReadinessFollowsMariaDB(t *testing.T) {
	t.Parallel()
	srv := mariadbtest.Start(t)
	db, err := sql.Open("mysql", srv.CreateDatabase("docflow"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := mariadb.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	c := &health.Checker{Checks: []health.Check{health.Postgres(dbtest.Postgres(t)), health.MariaDB(db), health.Dir("files", t.TempDir())}}
	if code, rep := probe(t, c); code != http.StatusOK || !rep.Ready() || len(rep.Checks) != 3 {
		t.Fatalf("with everything up: %d %+v, want 200 and ready", code, rep)
	}
	srv.Stop()
	code, rep := probe(t, c)
	if code != http.StatusServiceUnavailable || rep.Ready() {
		t.Fatalf("with MariaDB stopped: %d %+v, want 503", code, rep)
	}
	if f := failed(rep); len(f) != 1 || f["mariadb"] != "unreachable" {
		t.Errorf("with MariaDB stopped the failed checks are %v, want only mariadb unreachable", f)
	}
	srv.Restart()
	if code, rep := probe(t, c); code != http.StatusOK || !rep.Ready() {
		t.Fatalf("with MariaDB back: %d %+v, want 200 and ready", code, rep)
	}
}

// TestReadinessChecks covers the other failures: migrations behind, and a
// file store that takes no file.
func TestReadinessChecks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := sql.Open("mysql", dbtest.MariaDBDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "DELETE FROM docflow_migrations ORDER BY version DESC LIMIT 1"); err != nil {
		t.Fatal(err)
	}
	// A directory under a plain file cannot be made, even by root.
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c := &health.Checker{Checks: []health.Check{health.MariaDB(db), health.Dir("files", filepath.Join(notADir, "files"))}}
	code, rep := probe(t, c)
	if code != http.StatusServiceUnavailable {
		t.Fatalf("code %d, want 503", code)
	}
	if f := failed(rep); f["mariadb"] != "migrations not current" || f["files"] != "not writable" {
		t.Errorf("failed checks %v, want mariadb migrations not current and files not writable", f)
	}
}

// TestNotReadyWhileRiverMigrationsAreMissing: docflow migrate applies
// River's migrations with docflow's; with River's latest ones rolled back
// (River's inserts then fail on its tables), the postgres check is not
// ready and says that River's migrations are left to apply, as does serve's
// start-up check (postgres.CheckSchema).
func TestNotReadyWhileRiverMigrationsAreMissing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Postgres(t)
	c := &health.Checker{Checks: []health.Check{health.Postgres(pool)}}
	if code, rep := probe(t, c); code != http.StatusOK || !rep.Ready() {
		t.Fatalf("freshly migrated: %d %+v, want 200 and ready", code, rep)
	}
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionDown, &rivermigrate.MigrateOpts{MaxSteps: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Versions) != 3 {
		t.Fatalf("rolled River back %d migrations, want 3", len(res.Versions))
	}
	code, rep := probe(t, c)
	if code != http.StatusServiceUnavailable || rep.Ready() {
		t.Fatalf("River %d migrations behind: %d %+v, want 503 and not ready", len(res.Versions), code, rep)
	}
	if msg := failed(rep)["postgres"]; msg != "river migrations not current" {
		t.Errorf("postgres check error %q, want %q", msg, "river migrations not current")
	}
	if err := postgres.CheckSchema(ctx, pool); !errors.Is(err, postgres.ErrRiverSchema) || !strings.Contains(err.Error(), "docflow migrate") {
		t.Errorf("serve's start-up check gives %v, want ErrRiverSchema telling to run docflow migrate", err)
	}
}
