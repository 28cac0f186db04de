package derrors

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestToStatus(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err    error
		status int
		code   string
	}{
		{fmt.Errorf("document: %w", NotFound), http.StatusNotFound, "not_found"},
		{fmt.Errorf("x: %w", InvalidArgument), http.StatusBadRequest, "invalid_argument"},
		{Unauthenticated, http.StatusUnauthorized, "unauthenticated"},
		{fmt.Errorf("%w: role", Forbidden), http.StatusForbidden, "forbidden"},
		{fmt.Errorf("%w: decided", Conflict), http.StatusConflict, "conflict"},
		{fmt.Errorf("upload: %w", Refuse(TooLarge, "big")), http.StatusRequestEntityTooLarge, "too_large"},
		{Refuse(UnsupportedMediaType, "zip"), http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{Refuse(EncryptedDocument, "pdf"), http.StatusUnprocessableEntity, "encrypted_document"},
		{fmt.Errorf("files: %w: %w", StorageFull, errors.New("no space left on device")), http.StatusInsufficientStorage, "storage_full"},
		{errors.New("boom"), http.StatusInternalServerError, "internal"},
		{fmt.Errorf("acquire: %w", context.DeadlineExceeded), http.StatusServiceUnavailable, "unavailable"},
		{fmt.Errorf("insert: %w", &pgconn.PgError{Code: "22021", Message: "invalid byte sequence for encoding \"UTF8\": 0x00"}), http.StatusBadRequest, "invalid_argument"},
		{&pgconn.PgError{Code: "22P05", Message: "unsupported Unicode escape sequence"}, http.StatusBadRequest, "invalid_argument"},
		{fmt.Errorf("query: %w", context.Canceled), http.StatusServiceUnavailable, "unavailable"},
	} {
		status, code := ToStatus(c.err)
		if status != c.status || code != c.code {
			t.Errorf("ToStatus(%v) = %d %s, want %d %s", c.err, status, code, c.status, c.code)
		}
	}
}

func TestRefusalIsPermanent(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("read: %w", Refuse(CorruptDocument, "truncated"))
	if !errors.Is(err, Refused) || !IsPermanent(err) {
		t.Errorf("a wrapped refusal is not Refused and permanent")
	}
	if r, ok := AsRefusal(err); !ok || r.Code != CorruptDocument {
		t.Errorf("AsRefusal = %v, %v", r, ok)
	}
	if IsPermanent(fmt.Errorf("%w: timeout", Transient)) {
		t.Error("a transient error is permanent")
	}
}

func TestWrap(t *testing.T) {
	t.Parallel()
	f := func() (err error) {
		defer Wrap(&err, "process(%s)", "d1")
		return NotFound
	}
	if err := f(); err.Error() != "process(d1): not found" || !errors.Is(err, NotFound) {
		t.Errorf("Wrap gave %v", err)
	}
}

func TestClassifyUnavailable(t *testing.T) {
	t.Parallel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"wrapped Unavailable", fmt.Errorf("store: %w", Unavailable), true},
		{"pg connect error", fmt.Errorf("postgres: %w", &pgconn.ConnectError{Config: &pgconn.Config{}}), true},
		{"pg shutting down", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, true},
		{"pg starting up", &pgconn.PgError{Code: "57P03", Message: "the database system is starting up"}, true},
		{"pg connection exception", &pgconn.PgError{Code: "08006"}, true},
		{"pg too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"pg unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"pg bad uuid", &pgconn.PgError{Code: "22P02"}, false},
		{"dial refused", fmt.Errorf("commit: %w: %w", Transient, refused), true},
		{"dial unix socket missing", &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", syscall.ENOENT)}, true},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"bad conn", fmt.Errorf("x: %w", driver.ErrBadConn), true},
		{"mysql invalid conn", mysql.ErrInvalidConn, true},
		{"mysql too many connections", &mysql.MySQLError{Number: 1040}, true},
		{"mysql gone away", &mysql.MySQLError{Number: 2006}, true},
		{"mysql lost", &mysql.MySQLError{Number: 2013}, true},
		{"mysql duplicate key", &mysql.MySQLError{Number: 1062}, false},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), false},
		{"canceled", context.Canceled, false},
		{"plain", errors.New("boom"), false},
		{"nil", nil, false},
	} {
		if got := IsUnavailable(c.err); got != c.want {
			t.Errorf("%s: IsUnavailable(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
		cl := Classify(c.err)
		if c.err == nil {
			if cl != nil {
				t.Errorf("Classify(nil) = %v", cl)
			}
			continue
		}
		if got := errors.Is(cl, Unavailable); got != c.want {
			t.Errorf("%s: Classify(%v) is Unavailable = %v, want %v", c.name, c.err, got, c.want)
		}
		if !errors.Is(cl, c.err) {
			t.Errorf("%s: Classify lost the cause", c.name)
		}
		if c.want {
			if !errors.Is(cl, Transient) || IsPermanent(cl) {
				t.Errorf("%s: an unavailable error is not Transient, or is permanent", c.name)
			}
			if s, code := ToStatus(c.err); s != http.StatusServiceUnavailable || code != "unavailable" {
				t.Errorf("%s: ToStatus = %d %s, want 503 unavailable", c.name, s, code)
			}
		} else if s, _ := ToStatus(c.err); s == http.StatusServiceUnavailable &&
			!errors.Is(c.err, context.DeadlineExceeded) && !errors.Is(c.err, context.Canceled) {
			// A request's deadline is no outage for a job, which spends
			// an attempt, but the request answers 503 (TestToStatus).
			t.Errorf("%s: ToStatus = 503 for a failure that is no outage", c.name)
		}
	}
}
