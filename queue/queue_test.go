package queue

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

func TestControls(t *testing.T) {
	t.Parallel()
	if controls(nil) != nil {
		t.Error("nil error mapped to something")
	}
	var cancel *rivertype.JobCancelError
	if err := controls(fmt.Errorf("read: %w", derrors.Refuse(derrors.CorruptDocument, "x"))); !errors.As(err, &cancel) {
		t.Errorf("a refusal gives %v, want a cancel", err)
	}
	if err := controls(fmt.Errorf("x: %w", derrors.Permanent)); !errors.As(err, &cancel) {
		t.Errorf("a permanent failure gives %v, want a cancel", err)
	}
	var snooze *river.JobSnoozeError
	err := controls(fmt.Errorf("llm: %w", &derrors.RateLimited{RetryAfter: 7 * time.Second, Err: errors.New("429")}))
	if !errors.As(err, &snooze) || snooze.Duration != 7*time.Second {
		t.Errorf("a rate limit gives %v, want a snooze of 7s", err)
	}
	plain := errors.New("connection reset")
	if err := controls(plain); err != plain {
		t.Errorf("a transient failure gives %v, want it returned for a retry", err)
	}
}
