package events_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docflow/docflow/events"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/stacktest"
	"github.com/docflow/docflow/pipeline/testdocs"
)

// fast is a relay configuration for tests: quick polls, short timeouts,
// leases and backoffs.
var fast = events.Config{Poll: 20 * time.Millisecond, Timeout: 300 * time.Millisecond, Lease: time.Second,
	BackoffBase: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond, MaxAge: time.Hour, Batch: 8}

// receiver is a webhook endpoint that verifies every delivery with the
// documented algorithm and keeps what it acknowledged, in order.
type receiver struct {
	t      testing.TB
	secret atomic.Value
	// fail, when it returns a status, answers it instead of 200; a
	// negative status hangs past the relay's timeout.
	fail func(n int) int
	mu   sync.Mutex
	n    int
	// seen counts every verified request by event id; acked lists the
	// events answered 200, in order.
	seen  map[string]int
	acked []events.Event
	bad   []string
	srv   *httptest.Server
}

func newReceiver(t testing.TB, fail func(n int) int) *receiver {
	r := &receiver{t: t, fail: fail, seen: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	secret, _ := r.secret.Load().(string)
	r.mu.Lock()
	if err := events.Verify(secret, req.Header.Get(events.SignatureHeader), body, events.DefaultTolerance, time.Now()); err != nil {
		r.bad = append(r.bad, err.Error())
		r.mu.Unlock()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var e events.Event
	if err := json.Unmarshal(body, &e); err != nil || req.Header.Get("Docflow-Event-Id") != e.ID {
		r.bad = append(r.bad, fmt.Sprintf("body %q: %v", body, err))
	}
	r.n++
	n := r.n
	r.seen[e.ID]++
	r.mu.Unlock()
	if r.fail != nil {
		switch code := r.fail(n); {
		case code < 0:
			time.Sleep(600 * time.Millisecond) // past the relay's timeout
			return
		case code > 0:
			w.WriteHeader(code)
			return
		}
	}
	r.mu.Lock()
	r.acked = append(r.acked, e)
	r.mu.Unlock()
}

// snapshot returns the acknowledged events and the counts by id.
func (r *receiver) snapshot() ([]events.Event, map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := make(map[string]int, len(r.seen))
	for k, v := range r.seen {
		seen[k] = v
	}
	if len(r.bad) > 0 {
		r.t.Errorf("receiver refused deliveries: %v", r.bad)
	}
	return slices.Clone(r.acked), seen
}

type fixture struct {
	t     *testing.T
	stack *stacktest.Stack
	ctx   context.Context
}

func setup(t *testing.T) *fixture {
	t.Helper()
	return &fixture{t: t, stack: stacktest.New(t, stacktest.Options{}), ctx: context.Background()}
}

// tenant makes a tenant and returns an uploader's and a reviewer's principal.
func (f *fixture) tenant(name string) (string, pipeline.Principal, pipeline.Principal) {
	f.t.Helper()
	tn, err := f.stack.Store.CreateTenant(f.ctx, name)
	if err != nil {
		f.t.Fatal(err)
	}
	principal := func(r pipeline.Role) pipeline.Principal {
		k, err := f.stack.Store.CreateAPIKey(f.ctx, tn.ID, r)
		if err != nil {
			f.t.Fatal(err)
		}
		p, err := f.stack.Store.Authenticate(f.ctx, k.Key)
		if err != nil {
			f.t.Fatal(err)
		}
		return p
	}
	return tn.ID, principal(pipeline.RoleUploader), principal(pipeline.RoleReviewer)
}

// webhook registers r for the tenant.
func (f *fixture) webhook(tenantID string, r *receiver, types ...string) events.Webhook {
	f.t.Helper()
	w, err := f.stack.Store.CreateWebhook(f.ctx, "test", events.Webhook{TenantID: tenantID, URL: r.srv.URL, EventTypes: types, Enabled: true})
	if err != nil {
		f.t.Fatal(err)
	}
	r.secret.Store(w.Secret)
	return w
}

// relay starts a relay; cancel stops it as a crash would.
func (f *fixture) relay(cfg events.Config, afterSend func(events.Send) error) func() {
	ctx, cancel := context.WithCancel(context.Background())
	r := &events.Relay{Log: f.stack.Store, Outbox: f.stack.Records, Config: cfg, Client: events.NewHTTPClient(true), AfterSend: afterSend}
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	f.t.Cleanup(stop)
	return stop
}

// upload hands a file over and waits until its document reaches status.
func (f *fixture) upload(p pipeline.Principal, name string, data []byte, status pipeline.Status) pipeline.Document {
	f.t.Helper()
	d, _, err := f.stack.Service.Upload(f.ctx, p, name, bytes.NewReader(data))
	if d.ID == "" {
		f.t.Fatalf("upload %s: %v", name, err)
	}
	return f.wait(p.TenantID, d.ID, status)
}

func (f *fixture) wait(tenantID, id string, status pipeline.Status) pipeline.Document {
	f.t.Helper()
	var d pipeline.Document
	waitFor(f.t, func() bool {
		var err error
		if d, err = f.stack.Store.Document(f.ctx, tenantID, id); err != nil {
			f.t.Fatal(err)
		}
		return d.Status == status
	}, "document %s to be %s", id, status)
	return d
}

func waitFor(t testing.TB, cond func() bool, what string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("waited a minute for "+what, args...)
}

func lowRate(n string) []byte {
	c := testdocs.ValidContract(n)
	c.HourlyRate = testdocs.Num(9.50)
	return testdocs.PDF(testdocs.Contract(c))
}

// flows runs every kind of document journey for the tenant and returns
// the documents with the event types each must have, in order.
func (f *fixture) flows(up, rev pipeline.Principal, prefix string) map[string][]string {
	f.t.Helper()
	want := map[string][]string{}
	clean := f.upload(up, "contrat.pdf", testdocs.PDF(testdocs.Contract(testdocs.ValidContract(prefix+"-01"))), pipeline.StatusCommitted)
	want[clean.ID] = []string{events.DocumentReceived, events.DocumentCommitted}

	approved := f.upload(up, "a-revoir.pdf", lowRate(prefix+"-02"), pipeline.StatusInReview)
	if _, err := f.stack.Service.Approve(f.ctx, rev, pipeline.ApproveInput{ReviewID: approved.Review.ID,
		Corrections: map[string]any{"hourly_rate": 12.5}}); err != nil {
		f.t.Fatal(err)
	}
	f.wait(up.TenantID, approved.ID, pipeline.StatusCommitted)
	want[approved.ID] = []string{events.DocumentReceived, events.DocumentNeedsReview, events.DocumentCommitted}

	rejected := f.upload(up, "a-rejeter.pdf", lowRate(prefix+"-03"), pipeline.StatusInReview)
	if _, err := f.stack.Service.Reject(f.ctx, rev, rejected.Review.ID, "not ours"); err != nil {
		f.t.Fatal(err)
	}
	f.wait(up.TenantID, rejected.ID, pipeline.StatusRejected)
	want[rejected.ID] = []string{events.DocumentReceived, events.DocumentNeedsReview, events.DocumentRejected}

	refused, _, _ := f.stack.Service.Upload(f.ctx, up, "vide.txt", bytes.NewReader([]byte("   \n")))
	f.wait(up.TenantID, refused.ID, pipeline.StatusRefused)
	want[refused.ID] = []string{events.DocumentReceived, events.DocumentRefused}
	return want
}

// checkDelivered waits until r acknowledged every event of want, then
// checks that each document's acknowledged events came in order, once
// each, and that r got nothing of another tenant.
func checkDelivered(t *testing.T, r *receiver, tenantID string, want map[string][]string) map[string]int {
	t.Helper()
	total := 0
	for _, ts := range want {
		total += len(ts)
	}
	waitFor(t, func() bool {
		acked, _ := r.snapshot()
		ids := map[string]bool{}
		for _, e := range acked {
			ids[e.ID] = true
		}
		return len(ids) >= total
	}, "%d events to be acknowledged", total)
	acked, seen := r.snapshot()
	got := map[string][]string{}
	last := map[string]int64{}
	once := map[string]bool{}
	for _, e := range acked {
		if e.TenantID != tenantID {
			t.Errorf("webhook of tenant %s received an event of tenant %s: %+v", tenantID, e.TenantID, e)
		}
		// A document's events are acknowledged in order; an event sent
		// again (at least once: its acknowledgement was lost) comes before
		// the next one.
		if e.Sequence < last[e.DocumentID] || (e.Sequence == last[e.DocumentID] && !once[e.ID]) {
			t.Errorf("document %s: event %s (sequence %d) acknowledged after sequence %d", e.DocumentID, e.Type, e.Sequence, last[e.DocumentID])
		}
		last[e.DocumentID] = e.Sequence
		if once[e.ID] {
			continue
		}
		once[e.ID] = true
		got[e.DocumentID] = append(got[e.DocumentID], e.Type)
		if e.Version != events.Version || e.Data.Status == "" {
			t.Errorf("event %+v: no version or status", e)
		}
	}
	for doc, types := range want {
		if !slices.Equal(got[doc], types) {
			t.Errorf("document %s: acknowledged %v, want %v", doc, got[doc], types)
		}
	}
	return seen
}

// TestWebhookFlows sends the events of every document journey to the
// tenant's webhook, signed, in order, once each with a healthy receiver
// and two relays working at once; the other tenant's webhook gets its own
// events only.
func TestWebhookFlows(t *testing.T) {
	t.Parallel()
	f := setup(t)
	a, upA, revA := f.tenant("Intérim A")
	b, upB, _ := f.tenant("Intérim B")
	ra, rb := newReceiver(t, nil), newReceiver(t, nil)
	f.webhook(a, ra)
	f.webhook(b, rb)
	onlyCommits := newReceiver(t, nil)
	f.webhook(a, onlyCommits, events.DocumentCommitted)
	f.relay(fast, nil)
	f.relay(fast, nil)

	wantA := f.flows(upA, revA, "CM-2026-7100")
	docB := f.upload(upB, "contrat.pdf", testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-2026-7200-01"))), pipeline.StatusCommitted)

	for id, n := range checkDelivered(t, ra, a, wantA) {
		if n != 1 {
			t.Errorf("event %s received %d times by a healthy receiver", id, n)
		}
	}
	checkDelivered(t, rb, b, map[string][]string{docB.ID: {events.DocumentReceived, events.DocumentCommitted}})
	commits := map[string][]string{}
	for doc, types := range wantA {
		if slices.Contains(types, events.DocumentCommitted) {
			commits[doc] = []string{events.DocumentCommitted}
		}
	}
	checkDelivered(t, onlyCommits, a, commits)

	// What a subscriber learns: ids and codes, never a field's value.
	acked, _ := ra.snapshot()
	checkSchema(t, acked)
	for _, e := range acked {
		// The data, not the envelope: a timestamp may hold "9.5" by chance.
		raw, _ := json.Marshal(e.Data)
		for _, secret := range []string{"contrat.pdf", "9.5", "12.5", "Lefèvre"} {
			if bytes.Contains(raw, []byte(secret)) {
				t.Errorf("event %s holds %q: %s", e.Type, secret, raw)
			}
		}
		switch e.Type {
		case events.DocumentNeedsReview:
			if e.Data.Review == nil || e.Data.Review.ID == "" || len(e.Data.Review.Reasons) == 0 || len(e.Data.Issues) == 0 {
				t.Errorf("needs_review without its review: %s", raw)
			}
		case events.DocumentCommitted:
			if e.Data.Record == nil || e.Data.Record.Kind != "contract" || e.Data.Record.ContractKey == "" {
				t.Errorf("committed without its record: %s", raw)
			}
		case events.DocumentRefused:
			if e.Data.Refusal == "" {
				t.Errorf("refused without its code: %s", raw)
			}
		}
	}
	// The relay records a delivery once the receiver has answered: the
	// last ones may be recorded a moment after the receiver saw them.
	waitFor(t, func() bool {
		var pending int
		err := f.stack.Pool.QueryRow(f.ctx, "SELECT count(*) FROM webhook_deliveries WHERE status <> 'delivered'").Scan(&pending)
		return err == nil && pending == 0
	}, "every delivery to be recorded delivered")
}

// TestWebhookReceiverRecovers: a receiver that answers 500 and hangs for a
// while loses no event; duplicates stay within at least once (a request
// that timed out may have been processed), and order per document holds.
func TestWebhookReceiverRecovers(t *testing.T) {
	t.Parallel()
	f := setup(t)
	a, up, rev := f.tenant("Intérim C")
	r := newReceiver(t, func(n int) int {
		switch {
		case n > 14:
			return 0
		case n%3 == 0:
			return -1 // hang past the timeout
		default:
			return http.StatusInternalServerError
		}
	})
	w := f.webhook(a, r)
	f.relay(fast, nil)
	want := f.flows(up, rev, "CM-2026-7300")
	seen := checkDelivered(t, r, a, want)
	dup := 0
	for _, n := range seen {
		dup += n - 1
	}
	if dup == 0 {
		t.Error("no event was retried: the receiver's failures did not happen")
	}
	list, err := f.stack.Store.Deliveries(f.ctx, a, w.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var failed, withCode int
	for _, d := range list {
		if d.Status != events.DeliveryDelivered {
			t.Errorf("delivery %s is %s", d.ID, d.Status)
		}
		for _, at := range d.Log {
			if at.Error != "" {
				failed++
			}
			if at.StatusCode == http.StatusInternalServerError {
				withCode++
			}
		}
		if len(d.Log) != d.Attempts {
			t.Errorf("delivery %s: %d attempts, %d in its log", d.ID, d.Attempts, len(d.Log))
		}
	}
	if failed < 14 || withCode == 0 {
		t.Errorf("the log shows %d failed attempts (%d answered 500), want the receiver's 14", failed, withCode)
	}
}

// TestRelayCrashAndRestart: relays die between sending and recording the
// answer; a new relay resends what was not recorded, once the lease ends,
// and nothing is lost. The outbox is relayed again after a crash before
// it was marked, without a second event.
func TestRelayCrashAndRestart(t *testing.T) {
	t.Parallel()
	f := setup(t)
	a, up, rev := f.tenant("Intérim D")
	r := newReceiver(t, nil)
	f.webhook(a, r)
	var crashes atomic.Int32
	var stop func()
	crashing := errors.New("crash between send and ack")
	stop = f.relay(fast, func(events.Send) error {
		if crashes.Add(1) <= 2 {
			return crashing
		}
		go stop()
		return crashing
	})
	want := f.flows(up, rev, "CM-2026-7400")
	waitFor(t, func() bool { return crashes.Load() >= 3 }, "the relay to crash")
	stop()
	// The outbox again, as after a crash between import and mark: the
	// committed events are imported once.
	evs, err := f.stack.Records.PendingOutbox(f.ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) > 0 {
		if err := f.stack.Store.Import(f.ctx, evs); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.stack.Records.DB().ExecContext(f.ctx, "UPDATE outbox SET relayed_at = NULL"); err != nil {
		t.Fatal(err)
	}
	f.relay(fast, nil)
	seen := checkDelivered(t, r, a, want)
	if len(seen) != 10 {
		t.Errorf("receiver saw %d events, want 10", len(seen))
	}
	all, err := f.stack.Store.Events(f.ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 10 {
		t.Errorf("event log holds %d events, want 10 (the outbox relayed twice must not double them)", len(all))
	}
}

// TestManualRedelivery: a delivery given up after its retries is visible
// as failed, and a manual redelivery sends it once the receiver is back.
func TestManualRedelivery(t *testing.T) {
	t.Parallel()
	f := setup(t)
	a, up, _ := f.tenant("Intérim E")
	var down atomic.Bool
	down.Store(true)
	r := newReceiver(t, func(int) int {
		if down.Load() {
			return http.StatusServiceUnavailable
		}
		return 0
	})
	w := f.webhook(a, r, events.DocumentReceived)
	cfg := fast
	cfg.MaxAge = 300 * time.Millisecond
	f.relay(cfg, nil)
	doc := f.upload(up, "contrat.pdf", testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-2026-7500-01"))), pipeline.StatusCommitted)
	var failed events.Delivery
	waitFor(t, func() bool {
		list, err := f.stack.Store.Deliveries(f.ctx, a, w.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 1 && list[0].Status == events.DeliveryFailed {
			failed = list[0]
			return true
		}
		return false
	}, "the delivery to fail")
	if failed.DocumentID != doc.ID || failed.LastStatusCode != http.StatusServiceUnavailable || failed.Attempts < 2 || len(failed.Log) != failed.Attempts {
		t.Fatalf("failed delivery: %+v", failed)
	}
	down.Store(false)
	if _, err := f.stack.Store.Redeliver(f.ctx, "test", a, w.ID, failed.ID); err != nil {
		t.Fatal(err)
	}
	checkDelivered(t, r, a, map[string][]string{doc.ID: {events.DocumentReceived}})
	got, err := f.stack.Store.Delivery(f.ctx, a, w.ID, failed.ID)
	if err != nil || got.Status != events.DeliveryDelivered || got.DeliveredAt == nil {
		t.Fatalf("after redelivery: %+v, %v", got, err)
	}
	// Another tenant cannot redeliver it.
	b, _, _ := f.tenant("Intérim F")
	if _, err := f.stack.Store.Redeliver(f.ctx, "test", b, w.ID, failed.ID); err == nil {
		t.Error("another tenant redelivered the delivery")
	}
}
