// Package derrors defines the error categories of docflow and the one table
// that maps them to HTTP status codes, stable problem codes and the stored
// stage status of a document.
package derrors

import (
	"errors"
	"fmt"
	"net/http"
	"time"
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
)

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
		errors.Is(err, InvalidArgument) || errors.Is(err, NotFound)
}
