package derrors

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
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
