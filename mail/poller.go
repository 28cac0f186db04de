package mail

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/google/uuid"
)

// Poller takes the messages of IMAP mailboxes in, exactly once.
type Poller struct {
	Store Store
	// Service gives the intake checks and the file store of uploads:
	// Files, Check, MaxUploadBytes and Now.
	Service *pipeline.Service
	// RetryBackoff, when set, spaces the retries of a failed message:
	// RetryBackoff after the first failure, doubling up to an hour.
	RetryBackoff time.Duration
	// AfterCommit, when set, runs after a message's intake committed and
	// before it is moved; an error stops the poll there, as a crash would
	// (fault injection for tests).
	AfterCommit func(Message) error
	// TLSConfig for TLS and STARTTLS connections; nil means the default.
	TLSConfig *tls.Config
	// DisableIdle makes Run poll at its interval only, without an IMAP
	// IDLE connection waiting for new mail in between.
	DisableIdle bool
	// BatchSize bounds the messages whose headers are fetched at once
	// (default 100).
	BatchSize int
	// Replier, when set, answers mail that carried nothing usable, for
	// tenants that ask for it (settings mail.reply_when_unusable).
	Replier *Replier
	// OnPoll, when set, hears the result of every poll Run makes
	// (metrics); it must be cheap and safe for concurrent use.
	OnPoll func(res Result, err error)
}

// Result counts what a poll did.
type Result struct {
	Taken   int // messages recorded with a new document
	Moved   int // messages moved to the processed folder
	Failed  int // failed intakes (left in place)
	Parked  int // messages moved to the failed folder
	Skipped int // waiting for their retry backoff
	// Busy is true when another poll of the mailbox was running: this one
	// did nothing.
	Busy bool
}

// Run polls the mailbox every PollInterval until ctx ends, and at once
// when the server announces new mail over IDLE.
func (p *Poller) Run(ctx context.Context, mb Mailbox) {
	interval := mb.PollInterval
	if interval <= 0 {
		interval = time.Minute
	}
	wake := make(chan struct{}, 1)
	if !p.DisableIdle {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go p.watch(ctx, mb, wake)
	}
	for {
		res, err := p.Poll(ctx, mb)
		if p.OnPoll != nil {
			p.OnPoll(res, err)
		}
		if err != nil {
			slog.Warn("mail poll failed", "mailbox", mb.ID, "tenant", mb.TenantID, "err", err)
		} else if res != (Result{}) {
			slog.Info("mail poll", "mailbox", mb.ID, "tenant", mb.TenantID, "taken", res.Taken, "moved", res.Moved, "failed", res.Failed, "parked", res.Parked)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		case <-wake:
		}
	}
}

func (p *Poller) dial(mb Mailbox) (*imapclient.Client, error) { return p.dialWith(mb, nil) }

func (p *Poller) dialWith(mb Mailbox, h *imapclient.UnilateralDataHandler) (*imapclient.Client, error) {
	addr := net.JoinHostPort(mb.Host, strconv.Itoa(mb.Port))
	opts := &imapclient.Options{TLSConfig: p.TLSConfig, Dialer: &net.Dialer{Timeout: 30 * time.Second}, UnilateralDataHandler: h,
		WordDecoder: wordDecoder}
	switch mb.TLS {
	case TLS, "":
		return imapclient.DialTLS(addr, opts)
	case StartTLS:
		return imapclient.DialStartTLS(addr, opts)
	case NoTLS:
		return imapclient.DialInsecure(addr, opts)
	}
	return nil, fmt.Errorf("%w: unknown TLS mode %q", derrors.InvalidArgument, mb.TLS)
}

// Poll takes in the messages of the mailbox's folder once.
func (p *Poller) Poll(ctx context.Context, mb Mailbox) (res Result, err error) {
	defer derrors.Wrap(&err, "poll mailbox %s", mb.ID)
	unlock, ok, err := p.Store.LockMailbox(ctx, mb.ID)
	if err != nil {
		return res, err
	}
	if !ok {
		res.Busy = true
		return res, nil
	}
	defer unlock()
	c, err := p.dial(mb)
	if err != nil {
		return res, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := c.Login(mb.Username, mb.Password).Wait(); err != nil {
		return res, fmt.Errorf("login: %w", err)
	}
	defer c.Logout() //nolint:errcheck
	for _, f := range []string{mb.ProcessedFolder, mb.FailedFolder} {
		if err := c.Create(f, nil).Wait(); err != nil && !alreadyExists(err) {
			return res, fmt.Errorf("create folder %q: %w", f, err)
		}
	}
	folder := folderOf(mb)
	sel, err := c.Select(folder, nil).Wait()
	if err != nil {
		return res, fmt.Errorf("select %q: %w", folder, err)
	}
	settings, err := p.Service.Store.TenantSettings(ctx, mb.TenantID)
	if err != nil {
		return res, err
	}
	defer func() {
		if err == nil {
			err = p.answer(ctx, mb, settings)
		}
	}()
	if sel.NumMessages == 0 {
		return res, nil
	}
	uids, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		return res, fmt.Errorf("search: %w", err)
	}
	all := uids.AllUIDs()
	slices.Sort(all)
	batch := p.BatchSize
	if batch <= 0 {
		batch = 100
	}
	// Headers are fetched a batch at a time: a mailbox with thousands of
	// messages is not held in memory at once.
	for start := 0; start < len(all); start += batch {
		set := imap.UIDSetNum(all[start:min(start+batch, len(all))]...)
		heads, err := c.Fetch(set, &imap.FetchOptions{UID: true, Envelope: true, RFC822Size: true}).Collect()
		if err != nil {
			return res, fmt.Errorf("fetch: %w", err)
		}
		slices.SortFunc(heads, func(a, b *imapclient.FetchMessageBuffer) int { return int(a.UID) - int(b.UID) })
		for _, h := range heads {
			if ctxDone(ctx) {
				return res, ctx.Err()
			}
			// What the sender wrote (raw 8-bit bytes, an encoded NUL) is
			// cleaned before it is used or stored.
			m := envelopeMessage(Message{TenantID: mb.TenantID, MailboxID: mb.ID, UIDValidity: sel.UIDValidity, UID: uint32(h.UID)}, h.Envelope)
			if err := p.take(ctx, c, mb, settings, m, h.RFC822Size, &res); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// take handles one message; an error stops the poll (lost connection,
// store down), a failed intake does not.
func (p *Poller) take(ctx context.Context, c *imapclient.Client, mb Mailbox, settings pipeline.TenantSettings, m Message, size int64, res *Result) error {
	if m.MessageID != "" {
		if rec, found, err := p.Store.FindMessage(ctx, m); err != nil {
			return err
		} else if found {
			return p.moveRecorded(ctx, c, mb, m, rec, res)
		}
	}
	if !settings.AllowsSender(m.From) {
		// Kept for audit: parked in the failed folder, the reason listed.
		from := m.From
		if from == "" {
			from = "(no sender)"
		}
		res.Failed++
		if _, err := p.recordFailure(ctx, mb, m, fmt.Sprintf("sender %s is not on the tenant's allow-list", from)); err != nil {
			// Not parked unrecorded: retried at the next poll.
			return ctxErr(ctx)
		}
		return p.park(ctx, c, mb, m, res)
	}
	if f, found, err := p.Store.MailFailure(ctx, m); err != nil {
		return err
	} else if found {
		if f.Attempts >= maxAttempts(mb) {
			return p.park(ctx, c, mb, m, res)
		}
		if p.RetryBackoff > 0 && now().Before(f.LastFailedAt.Add(backoff(p.RetryBackoff, f.Attempts))) {
			res.Skipped++
			return nil
		}
	}
	var body []byte
	if size <= p.Service.MaxUploadBytes {
		b, err := fetchBody(c, imap.UID(m.UID))
		if err != nil {
			if isClosed(c) {
				return err
			}
			return p.failed(ctx, c, mb, m, fmt.Errorf("fetching the message: %w", err), res)
		}
		if b == nil { // expunged meanwhile (moved by a concurrent poll)
			return nil
		}
		body = b
		sum := sha256.Sum256(body)
		m.SHA256 = hex.EncodeToString(sum[:])
		if m.MessageID == "" {
			if rec, found, err := p.Store.FindMessage(ctx, m); err != nil {
				return err
			} else if found {
				return p.moveRecorded(ctx, c, mb, m, rec, res)
			}
		}
	}
	rec, created, err := p.intake(ctx, mb, m, size, body)
	if err != nil {
		return p.failed(ctx, c, mb, m, err, res)
	}
	if created {
		res.Taken++
	}
	if p.AfterCommit != nil {
		if err := p.AfterCommit(m); err != nil {
			return err
		}
	}
	return p.moveRecorded(ctx, c, mb, m, rec, res)
}

// intake does what pipeline.Service.Upload does, with the message recorded
// in the same transaction as the document and its job.
func (p *Poller) intake(ctx context.Context, mb Mailbox, m Message, size int64, body []byte) (Recorded, bool, error) {
	s := p.Service
	name := fileName(m)
	at := now()
	if s.Now != nil {
		at = s.Now().UTC()
	}
	d := pipeline.Document{ID: uuid.NewString(), TenantID: mb.TenantID, FileName: name, Size: int64(len(body)),
		SHA256: m.SHA256, Status: pipeline.StatusReceived, Stage: pipeline.StageIntake, ReceivedAt: at,
		UploadedBy: "mailbox:" + mb.ID}
	var refusal error
	if body == nil || int64(len(body)) > s.MaxUploadBytes {
		d.Size = size
		refusal = derrors.Refuse(derrors.TooLarge, "the message is larger than %d bytes", s.MaxUploadBytes)
	} else if s.Check != nil {
		refusal = s.Check(name, body)
	}
	if refusal != nil {
		ref, ok := derrors.AsRefusal(refusal)
		if !ok {
			return Recorded{}, false, refusal
		}
		d.Status, d.Refusal, d.RefusalMessage = pipeline.StatusRefused, ref.Code, ref.Message
		d.StageStatus, d.ErrorCode, d.ErrorMessage = "refused", ref.Code, ref.Message
	}
	if len(body) > 0 && int64(len(body)) <= s.MaxUploadBytes {
		key, err := s.Files.Put(ctx, mb.TenantID, body)
		if err != nil {
			return Recorded{}, false, err
		}
		d.StorageKey = key
	}
	return p.Store.IntakeMessage(ctx, m, d)
}

// moveRecorded moves a recorded message out of the folder: refused mail to
// the failed folder, the rest to the processed folder. A failed move is
// retried at the next poll (the message is recorded: it is not taken twice).
func (p *Poller) moveRecorded(ctx context.Context, c *imapclient.Client, mb Mailbox, m Message, rec Recorded, res *Result) error {
	dest := mb.ProcessedFolder
	if rec.DocumentStatus == pipeline.StatusRefused {
		dest = mb.FailedFolder
	}
	if err := move(c, m.UID, dest); err != nil {
		if isClosed(c) {
			return err
		}
		slog.Warn("mail: moving a recorded message failed; retried at the next poll", "mailbox", mb.ID, "uid", m.UID, "err", err)
		return nil
	}
	res.Moved++
	return p.Store.MarkMoved(ctx, rec.ID)
}

// failed counts a failed intake; at the limit the message is parked.
func (p *Poller) failed(ctx context.Context, c *imapclient.Client, mb Mailbox, m Message, cause error, res *Result) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	res.Failed++
	attempts, err := p.recordFailure(ctx, mb, m, cause.Error())
	if err != nil {
		// The message stays in place, unrecorded: the next poll tries it
		// again. The poll goes on with the next message (a store that is
		// down stops it there).
		slog.Warn("mail: intake failed; the message stays in place", "mailbox", mb.ID, "uid", m.UID, "err", cause)
		return ctxErr(ctx)
	}
	slog.Warn("mail: intake failed; the message stays in place", "mailbox", mb.ID, "uid", m.UID, "attempts", attempts, "err", cause)
	if attempts >= maxAttempts(mb) {
		return p.park(ctx, c, mb, m, res)
	}
	return nil
}

// recordFailure records a failed intake of m with its reason, cleaned.
// Should the store refuse the record, it is recorded again without what
// the sender wrote (subject, Message-ID, reason), so that the attempts are
// still counted and the message parked in the end.
func (p *Poller) recordFailure(ctx context.Context, mb Mailbox, m Message, reason string) (int, error) {
	attempts, err := p.Store.RecordFailure(ctx, m, pipeline.CleanText(reason, maxReasonBytes))
	if err == nil || ctx.Err() != nil {
		return attempts, err
	}
	bare := Message{TenantID: m.TenantID, MailboxID: m.MailboxID, UIDValidity: m.UIDValidity, UID: m.UID}
	attempts, err2 := p.Store.RecordFailure(ctx, bare, "the intake failed; its reason could not be recorded")
	if err2 != nil {
		slog.Error("mail: recording a failed intake failed", "mailbox", mb.ID, "uid", m.UID, "err", errors.Join(err, err2))
		return 0, errors.Join(err, err2)
	}
	slog.Warn("mail: a failed intake was recorded without its details", "mailbox", mb.ID, "uid", m.UID, "err", err)
	return attempts, nil
}

// ctxErr is ctx's error once it ended, else nil.
func ctxErr(ctx context.Context) error {
	if ctxDone(ctx) {
		return ctx.Err()
	}
	return nil
}

func (p *Poller) park(ctx context.Context, c *imapclient.Client, mb Mailbox, m Message, res *Result) error {
	if err := move(c, m.UID, mb.FailedFolder); err != nil {
		if isClosed(c) {
			return err
		}
		slog.Warn("mail: parking a failed message failed; retried at the next poll", "mailbox", mb.ID, "uid", m.UID, "err", err)
		return nil
	}
	res.Parked++
	return p.Store.MarkParked(ctx, m)
}

func maxAttempts(mb Mailbox) int {
	if mb.MaxAttempts <= 0 {
		return 5
	}
	return mb.MaxAttempts
}

func backoff(base time.Duration, attempts int) time.Duration {
	d := base
	for i := 1; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

func fetchBody(c *imapclient.Client, uid imap.UID) ([]byte, error) {
	section := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		return nil, err
	}
	for _, msg := range msgs {
		if msg.UID == uid {
			if b := msg.FindBodySection(section); b != nil {
				return b, nil
			}
		}
	}
	return nil, nil
}

// move moves the message by UID (MOVE, or COPY + \Deleted + EXPUNGE where
// the server lacks MOVE: the client library falls back).
func move(c *imapclient.Client, uid uint32, dest string) error {
	_, err := c.Move(imap.UIDSetNum(imap.UID(uid)), dest).Wait()
	return err
}

func isClosed(c *imapclient.Client) bool {
	select {
	case <-c.Closed():
		return true
	default:
		return false
	}
}

func alreadyExists(err error) bool {
	var ie *imap.Error
	return errors.As(err, &ie) && (ie.Code == imap.ResponseCodeAlreadyExists || strings.Contains(strings.ToLower(ie.Text), "already exists"))
}

var unsafeName = regexp.MustCompile(`[^\p{L}\p{N} ._-]+`)

// fileName names the email document after its subject.
func fileName(m Message) string {
	s := strings.TrimSpace(unsafeName.ReplaceAllString(m.Subject, "_"))
	if len(s) > 80 {
		s = strings.ToValidUTF8(s[:80], "") // not in the middle of a letter
	}
	if s == "" {
		s = fmt.Sprintf("message-%d-%d", m.UIDValidity, m.UID)
	}
	return s + ".eml"
}
