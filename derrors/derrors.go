// Package derrors defines the error categories of docflow and the one table
// that maps them to HTTP status codes, stable problem codes and the stored
// stage status of a document.
package derrors

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

// Categories. Wrap them with %w; match them with errors.Is.
var (
	// NotFound means the object does not exist for the caller's tenant.
	NotFound = errors.New("not found")
	// InvalidArgument means the request is malformed or a value is invalid.
	InvalidArgument = errors.New("invalid argument")
	// Unauthenticated means no valid credentials were presented.
	Unauthenticated = errors.New("unauthenticated")
	// Forbidden means the caller's role may not perform the action.
	Forbidden = errors.New("forbidden")
	// Conflict means the object is not in a state that allows the action.
	Conflict = errors.New("conflict")
	// Refused means an input was refused; the error is a *Refusal.
	Refused = errors.New("refused")
	// Transient means a temporary failure: retrying may succeed.
	Transient = errors.New("transient failure")
	// StorageFull means the file store has no space left: nothing was
	// stored, and the same request may succeed once space is freed.
	StorageFull = errors.New("file store full")
	// Permanent means a failure that retrying cannot fix.
	Permanent = errors.New("permanent failure")
	// Unavailable means a backing service (PostgreSQL, MariaDB, the file
	// store) cannot be reached or is shutting down or starting up. It
	// counts as Transient; the API answers 503 with Retry-After and the
	// queue snoozes the job instead of spending its attempts.
	// IsUnavailable also recognises the drivers' connection-level errors
	// that are not wrapped with it.
	Unavailable error = unavailable{}
)

type unavailable struct{}

func (unavailable) Error() string { return "backing service unavailable" }

// Is makes errors.Is(err, Transient) true for Unavailable.
func (unavailable) Is(target error) bool { return target == Transient }

// RateLimited is a temporary refusal by a provider that says when to come
// back; it counts as Transient. Queue adapters snooze the job for RetryAfter
// instead of holding a worker.
type RateLimited struct {
	RetryAfter time.Duration
	Err        error
}

func (e *RateLimited) Error() string {
	return fmt.Sprintf("rate limited, retry after %s: %v", e.RetryAfter, e.Err)
}

// Unwrap returns the cause.
func (e *RateLimited) Unwrap() error { return e.Err }

// Is makes errors.Is(err, Transient) true for a rate limit.
func (e *RateLimited) Is(target error) bool { return target == Transient }

// Refusal codes from the spec.
const (
	UnsupportedMediaType = "unsupported_media_type"
	CorruptDocument      = "corrupt_document"
	EncryptedDocument    = "encrypted_document"
	EmptyDocument        = "empty_document"
	TooLarge             = "too_large"
)

// Refusal is an input refused with one of the spec's refusal codes.
type Refusal struct {
	Code    string
	Message string
}

// Refuse returns a *Refusal error with the given code and message.
func Refuse(code, format string, args ...any) error {
	return &Refusal{Code: code, Message: fmt.Sprintf(format, args...)}
}

func (r *Refusal) Error() string { return r.Code + ": " + r.Message }

// Is makes errors.Is(err, Refused) true for every refusal.
func (r *Refusal) Is(target error) bool { return target == Refused }

// AsRefusal returns the refusal inside err, if any.
func AsRefusal(err error) (*Refusal, bool) {
	var r *Refusal
	ok := errors.As(err, &r)
	return r, ok
}

// Wrap adds context to *errp when it is not nil:
//
//	defer derrors.Wrap(&err, "process(%s)", id)
func Wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}

type entry struct {
	err    error
	status int
	code   string
}

// codes is the one table from category to HTTP status and problem code.
var codes = []entry{
	{NotFound, http.StatusNotFound, "not_found"},
	{InvalidArgument, http.StatusBadRequest, "invalid_argument"},
	{Unauthenticated, http.StatusUnauthorized, "unauthenticated"},
	{Forbidden, http.StatusForbidden, "forbidden"},
	{Conflict, http.StatusConflict, "conflict"},
	{StorageFull, http.StatusInsufficientStorage, "storage_full"},
	{Unavailable, http.StatusServiceUnavailable, "unavailable"},
	{Transient, http.StatusServiceUnavailable, "unavailable"},
	{Permanent, http.StatusUnprocessableEntity, "failed"},
}

// refusalStatus maps refusal codes to HTTP statuses.
var refusalStatus = map[string]int{
	UnsupportedMediaType: http.StatusUnsupportedMediaType,
	CorruptDocument:      http.StatusUnprocessableEntity,
	EncryptedDocument:    http.StatusUnprocessableEntity,
	EmptyDocument:        http.StatusUnprocessableEntity,
	TooLarge:             http.StatusRequestEntityTooLarge,
}

// ToStatus returns the HTTP status and the stable problem code for err.
func ToStatus(err error) (int, string) {
	if r, ok := AsRefusal(err); ok {
		if s, ok := refusalStatus[r.Code]; ok {
			return s, r.Code
		}
		return http.StatusUnprocessableEntity, r.Code
	}
	err = Classify(err)
	if IsBadText(err) {
		return http.StatusBadRequest, "invalid_argument"
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		// A request that waited out its time (WithRequestTimeout), or whose
		// client left, waited for a database: the client may retry.
		return http.StatusServiceUnavailable, "unavailable"
	}
	for _, e := range codes {
		if errors.Is(err, e.err) {
			return e.status, e.code
		}
	}
	return http.StatusInternalServerError, "internal"
}

// IsPermanent reports whether retrying the work that returned err is pointless.
func IsPermanent(err error) bool {
	return errors.Is(err, Permanent) || errors.Is(err, Refused) ||
		errors.Is(err, InvalidArgument) || errors.Is(err, NotFound) || IsBadText(err)
}

// IsBadText reports whether PostgreSQL refused a text it was given: not
// valid UTF-8, or holding a NUL (SQLSTATE 22021, 22P05). It is the
// client's input, never an outage: a 400, and no retry.
func IsBadText(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "22021" || pe.Code == "22P05")
}

// RetryAfter is how long the API asks a client to wait after a 503
// (the Retry-After header of an "unavailable" problem).
const RetryAfter = 5 * time.Second

// Classify returns err wrapped with Unavailable when it is a
// connection-level failure of a backing service (IsUnavailable), else err
// unchanged. It is the one place that tells an outage from a bug: the API's
// problems (through ToStatus) and the queue's retry controls both use it.
func Classify(err error) error {
	if err == nil || errors.Is(err, Unavailable) || !IsUnavailable(err) {
		return err
	}
	return fmt.Errorf("%w: %w", Unavailable, err)
}

// IsUnavailable reports whether err is Unavailable or a connection-level
// failure of PostgreSQL (pgx), MariaDB (go-sql-driver/mysql) or the
// network: the server refused, reset or dropped the connection, is
// shutting down or starting up, or has no connection slot left. A refused
// login or a bad query is not an outage.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, Unavailable) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 08: connection exception; 57P01..57P03: admin or crash
		// shutdown, cannot connect now (starting up); 53300: too many
		// connections.
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" ||
			pe.Code == "57P03" || pe.Code == "53300"
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	// A job's or a request's own deadline is not an outage (a job that
	// times out spends its attempts).
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return false
	}
	if pgconn.SafeToRetry(err) {
		return true // pgx failed before sending anything: the connection broke
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1040, // too many connections
			1053,                   // server shutdown in progress
			1927,                   // connection was killed
			2002, 2003, 2006, 2013, // cannot connect, gone away, lost
			4031: // disconnected by the server
			return true
		}
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) {
		return true
	}
	for _, errno := range []syscall.Errno{syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED,
		syscall.EPIPE, syscall.EHOSTUNREACH, syscall.ENETUNREACH} {
		if errors.Is(err, errno) {
			return true
		}
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
