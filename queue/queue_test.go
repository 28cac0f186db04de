package queue

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

func TestControls(t *testing.T) {
	t.Parallel()
	var o OutagePolicy
	now := time.Now()
	job := &rivertype.JobRow{Attempt: 1, MaxAttempts: MaxAttempts, CreatedAt: now}
	ctl := func(err error) error {
		t.Helper()
		c, giveUp := o.controls(job, err, now)
		if giveUp != nil {
			t.Errorf("%v gives up on attempt 1", err)
		}
		return c
	}
	if ctl(nil) != nil {
		t.Error("nil error mapped to something")
	}
	var cancel *rivertype.JobCancelError
	if err := ctl(fmt.Errorf("read: %w", derrors.Refuse(derrors.CorruptDocument, "x"))); !errors.As(err, &cancel) {
		t.Errorf("a refusal gives %v, want a cancel", err)
	}
	if err := ctl(fmt.Errorf("x: %w", derrors.Permanent)); !errors.As(err, &cancel) {
		t.Errorf("a permanent failure gives %v, want a cancel", err)
	}
	var snooze *river.JobSnoozeError
	err := ctl(fmt.Errorf("llm: %w", &derrors.RateLimited{RetryAfter: 7 * time.Second, Err: errors.New("429")}))
	if !errors.As(err, &snooze) || snooze.Duration != 7*time.Second {
		t.Errorf("a rate limit gives %v, want a snooze of 7s", err)
	}
	plain := fmt.Errorf("%w: model answered 500", derrors.Transient)
	if err := ctl(plain); err != plain {
		t.Errorf("a transient failure gives %v, want it returned for a retry", err)
	}
	refused := fmt.Errorf("commit: %w: %w", derrors.Transient,
		&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)})
	if err := ctl(refused); !errors.As(err, &snooze) || snooze.Duration != DefaultOutageBackoff {
		t.Errorf("MariaDB refusing connections gives %v, want a snooze of %s", err, DefaultOutageBackoff)
	}
}

func TestOutageBackoffAndBound(t *testing.T) {
	t.Parallel()
	o := OutagePolicy{Backoff: time.Second, MaxBackoff: 10 * time.Second, MaxAge: time.Hour}
	for n, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second} {
		if got := o.delay(int64(n)); got != want {
			t.Errorf("delay after %d snoozes = %s, want %s", n, got, want)
		}
	}
	if got := o.delay(1000); got != 10*time.Second {
		t.Errorf("delay after 1000 snoozes = %s", got)
	}
	down := fmt.Errorf("x: %w", derrors.Unavailable)
	now := time.Now()
	// Snoozed past the attempts: snoozes do not count as attempts.
	job := &rivertype.JobRow{Attempt: MaxAttempts, MaxAttempts: MaxAttempts, CreatedAt: now.Add(-59 * time.Minute),
		Metadata: []byte(`{"snoozes": 3}`)}
	var snooze *river.JobSnoozeError
	if ctl, giveUp := o.controls(job, down, now); !errors.As(ctl, &snooze) || snooze.Duration != 8*time.Second || giveUp != nil {
		t.Errorf("an outage on the last attempt gives %v, %v; want a snooze of 8s", ctl, giveUp)
	}
	job.CreatedAt = now.Add(-61 * time.Minute)
	_, giveUp := o.controls(job, down, now)
	if giveUp == nil || !errors.Is(giveUp, derrors.Unavailable) {
		t.Errorf("an outage past MaxAge gives up with %v, want an unavailable cause", giveUp)
	}
	if s, code := derrors.ToStatus(giveUp); s != 503 || code != "unavailable" {
		t.Errorf("the cause maps to %d %s", s, code)
	}
	// A failure that is no outage on the last attempt gives up too.
	plain := errors.New("boom")
	if ctl, giveUp := o.controls(job, plain, now); ctl != plain || giveUp != plain {
		t.Errorf("a failure on the last attempt gives %v, %v", ctl, giveUp)
	}
}

// TestJobTimeoutShorterThanRescue: an attempt always times out strictly
// before the rescuer may take its job as stuck and run it again, whatever
// DOCFLOW_RESCUE_AFTER (at least 1s) and an explicit job timeout say.
func TestJobTimeoutShorterThanRescue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		job, rescue         time.Duration
		wantJob, wantRescue time.Duration
	}{
		{0, 0, DefaultJobTimeout, DefaultJobTimeout + time.Minute},
		{0, time.Second, 800 * time.Millisecond, time.Second},
		{0, 5 * time.Second, 4 * time.Second, 5 * time.Second},
		{0, DefaultJobTimeout, 4 * time.Minute, DefaultJobTimeout},
		{0, 10 * time.Minute, DefaultJobTimeout, 10 * time.Minute},
		{30 * time.Second, 30 * time.Second, 30 * time.Second, 90 * time.Second},
		{time.Minute, 30 * time.Second, time.Minute, 2 * time.Minute},
		{10 * time.Second, time.Minute, 10 * time.Second, time.Minute},
	} {
		job, rescue := timeouts(tc.job, tc.rescue)
		if job != tc.wantJob || rescue != tc.wantRescue {
			t.Errorf("timeouts(%s, %s) = %s, %s; want %s, %s", tc.job, tc.rescue, job, rescue, tc.wantJob, tc.wantRescue)
		}
		if job <= 0 || rescue <= job {
			t.Errorf("timeouts(%s, %s) = %s, %s: rescue must come strictly after the timeout", tc.job, tc.rescue, job, rescue)
		}
	}
}
