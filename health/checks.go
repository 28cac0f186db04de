package health

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/docflow/docflow/storage/mariadb"
	"github.com/docflow/docflow/storage/postgres"
	"github.com/jackc/pgx/v5/pgxpool"
)

// checkError is a failed check with the reason shown to the prober; the
// cause (which may name hosts and users) is only logged.
type checkError struct {
	reason string
	cause  error
}

func (e *checkError) Error() string { return e.reason + ": " + e.cause.Error() }
func (e *checkError) Unwrap() error { return e.cause }

func fail(reason string, cause error) error { return &checkError{reason: reason, cause: cause} }

// reason is what the report shows of err.
func reason(err error) string {
	var ce *checkError
	if errors.As(err, &ce) {
		return ce.reason
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return "failed"
}

// Postgres checks that PostgreSQL answers and its migrations, River's and
// docflow's, are current.
func Postgres(pool *pgxpool.Pool) Check {
	return Check{Name: "postgres", Run: func(ctx context.Context) error {
		if err := pool.Ping(ctx); err != nil {
			return fail("unreachable", err)
		}
		if err := postgres.CheckSchema(ctx, pool); err != nil {
			if errors.Is(err, postgres.ErrRiverSchema) {
				return fail("river migrations not current", err)
			}
			return fail("migrations not current", err)
		}
		return nil
	}}
}

// MariaDB checks that MariaDB answers and its migrations are current.
func MariaDB(db *sql.DB) Check {
	return Check{Name: "mariadb", Run: func(ctx context.Context) error {
		if err := db.PingContext(ctx); err != nil {
			return fail("unreachable", err)
		}
		if err := mariadb.CheckSchema(ctx, db); err != nil {
			return fail("migrations not current", err)
		}
		return nil
	}}
}

// Dir checks that the file store's root directory takes a file: a probe
// is written, synced and removed.
func Dir(name, dir string) Check {
	return Check{Name: name, Run: func(ctx context.Context) error {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fail("not writable", err)
		}
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		p := filepath.Join(dir, ".readyz-"+hex.EncodeToString(b))
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fail("not writable", err)
		}
		_, werr := f.Write([]byte("probe"))
		serr := f.Sync()
		cerr := f.Close()
		rerr := os.Remove(p)
		if err := errors.Join(werr, serr, cerr, rerr); err != nil {
			return fail("not writable", fmt.Errorf("probe %s: %w", p, err))
		}
		return nil
	}}
}
