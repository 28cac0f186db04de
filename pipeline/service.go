package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
)

// Service runs the stages of a document's journey over the stores.
// HTTP handlers and queue workers are thin adapters around its methods.
type Service struct {
	Store    Store
	Records  Records
	Files    Files
	Analyzer Analyzer
	// Policy is the routing policy of tenants that have not set their own.
	Policy Policy
	// Check runs the cheap intake checks (size, type sniffing, encryption)
	// and returns a *derrors.Refusal for inputs that must be refused.
	Check func(name string, data []byte) error
	// MaxUploadBytes bounds an upload; larger ones are refused too_large.
	MaxUploadBytes int64
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Similarity, when set, indexes each document and flags near-duplicates.
	Similarity Similarity
	// Observer, when set, hears stage timings and commits (metrics).
	Observer Observer
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Upload takes a file from a tenant: it checks size and type, stores the
// bytes, and inserts the document with its first job in one transaction.
// The same bytes uploaded again return the existing document with created
// false. A refused upload is stored for audit and returned with a
// *derrors.Refusal error.
func (s *Service) Upload(ctx context.Context, p Principal, name string, r io.Reader) (doc Document, created bool, err error) {
	defer derrors.Wrap(&err, "upload(%q)", name)
	name = CleanFileName(name)
	span := startSpan(ctx, "upload", attribute.String("docflow.tenant", p.TenantID))
	defer func() {
		span.end(err, attribute.String("docflow.document", doc.ID), attribute.Bool("created", created))
	}()
	ctx = span.ctx
	data, err := io.ReadAll(io.LimitReader(r, s.MaxUploadBytes+1))
	if err != nil {
		return Document{}, false, fmt.Errorf("%w: reading the upload: %v", derrors.InvalidArgument, err)
	}
	d := Document{
		ID: uuid.NewString(), TenantID: p.TenantID, FileName: name, Size: int64(len(data)),
		Status: StatusReceived, Stage: StageIntake, ReceivedAt: s.now(), UploadedBy: p.KeyID,
	}
	if int64(len(data)) > s.MaxUploadBytes {
		d.Size = -1 // unknown: the rest was not read
		return s.refuse(ctx, d, nil, derrors.Refuse(derrors.TooLarge, "the file is larger than %d bytes", s.MaxUploadBytes))
	}
	sum := sha256.Sum256(data)
	d.SHA256 = hex.EncodeToString(sum[:])
	if s.Check != nil {
		if cerr := s.Check(name, data); cerr != nil {
			return s.refuse(ctx, d, data, cerr)
		}
	}
	if existing, ferr := s.Store.FindBySHA256(ctx, p.TenantID, d.SHA256); ferr == nil {
		if existing.Status != StatusFailed {
			return existing, false, nil
		}
		// Sent again after it failed (an outage outlasted the queue's
		// bound, a file lost): it is tried again, its file stored anew.
		key, err := s.Files.Put(ctx, p.TenantID, data)
		if err != nil {
			return Document{}, false, err
		}
		doc, created, err := s.Store.Resubmit(ctx, p, existing.ID, key)
		if err == nil && created {
			err = s.keepFile(ctx, p.TenantID, data)
		}
		return doc, created, err
	} else if !errors.Is(ferr, derrors.NotFound) {
		return Document{}, false, ferr
	}
	if d.StorageKey, err = s.Files.Put(ctx, p.TenantID, data); err != nil {
		return Document{}, false, err
	}
	doc, created, err = s.Store.CreateDocument(ctx, d)
	if err == nil && created {
		err = s.keepFile(ctx, p.TenantID, data)
	}
	return doc, created, err
}

// keepFile stores data again once its document is committed, if a purge
// deleted the same bytes (a document past its retention period) between
// the first store and the document's creation; otherwise it only finds
// the file there (a stat).
func (s *Service) keepFile(ctx context.Context, tenantID string, data []byte) error {
	_, err := s.Files.Put(ctx, tenantID, data)
	return err
}

// refuse stores a refused upload for audit and returns the refusal.
func (s *Service) refuse(ctx context.Context, d Document, data []byte, cause error) (Document, bool, error) {
	ref, ok := derrors.AsRefusal(cause)
	if !ok {
		return Document{}, false, cause
	}
	if len(data) > 0 {
		key, err := s.Files.Put(ctx, d.TenantID, data)
		if err != nil {
			return Document{}, false, err
		}
		d.StorageKey = key
	}
	d.Status, d.Refusal, d.RefusalMessage = StatusRefused, ref.Code, ref.Message
	d.StageStatus, d.ErrorCode, d.ErrorMessage = "refused", ref.Code, ref.Message
	doc, _, err := s.Store.CreateDocument(ctx, d)
	if err != nil {
		return Document{}, false, err
	}
	return doc, true, cause
}

// Process runs read, classify, extract, validate and decide for one
// document, and commits it when policy allows. It is safe to run twice:
// a document past this stage is left alone. final tells that no retry will
// follow, so a failure ends the document as failed.
func (s *Service) Process(ctx context.Context, tenantID, id string, final bool) (err error) {
	defer derrors.Wrap(&err, "process(%s)", id)
	span := startSpan(ctx, "process", documentAttrs(tenantID, id)...)
	defer func() { span.end(err) }()
	ctx = span.ctx
	doc, started, err := s.Store.BeginStage(ctx, tenantID, id, StageProcess)
	if err != nil {
		return err
	}
	if !started {
		if doc.Status == StatusProcessing && doc.Stage == StageCommit {
			return s.Commit(ctx, tenantID, id)
		}
		return nil // already decided
	}
	if err := s.process(ctx, doc); err != nil {
		return s.stageFailed(ctx, doc, err, final)
	}
	return nil
}

func (s *Service) process(ctx context.Context, doc Document) error {
	data, err := s.Files.Get(ctx, doc.StorageKey)
	if err != nil {
		return err
	}
	settings, err := s.Store.TenantSettings(ctx, doc.TenantID)
	if err != nil {
		return err
	}
	start := time.Now()
	mode, err := s.llmMode(ctx, doc.TenantID, settings)
	if err != nil {
		return err
	}
	actx := WithLLMMode(WithTenant(ctx, doc.TenantID), mode)
	if !doc.ReceivedAt.IsZero() {
		// A model that is down makes the document wait (snoozed), within
		// a bound counted from its arrival.
		actx = WithWaitingSince(actx, doc.ReceivedAt)
	}
	a, err := s.Analyzer.Analyze(actx, doc.FileName, data, s.Records.ContractLookup(doc.TenantID), settings.Rules)
	if s.Observer != nil {
		s.Observer.Analysed(a)
	}
	if err != nil {
		if run, ok := SpentRun(err); ok {
			// The document waits or fails, but what the model read of
			// it is paid for: the tenant's budget counts it.
			if serr := s.Store.SaveAbandonedRun(ctx, doc, run); serr != nil {
				return errors.Join(err, serr)
			}
		}
		return err
	}
	doc.Type, doc.TypeScore, doc.Format, doc.Timings = a.Type, a.TypeScore, a.Format, a.Timings
	doc.Fields, doc.Issues = a.Fields, a.Issues
	if s.Similarity != nil && (a.Type == TypeContract || a.Type == TypeTimesheet) {
		// The index helps people and the model; a failure of it must not
		// stop the document.
		if near, err := s.Similarity.Index(ctx, doc, a.Text); err != nil {
			slog.Warn("similarity index failed", "document", doc.ID, "tenant", doc.TenantID, "err", err)
		} else {
			doc.NearDuplicates = near
		}
	}
	run := a.Run
	if run.Extractor == "" {
		run.Extractor = a.Extractor
	}
	if run.Latency == 0 {
		run.Latency = time.Since(start)
	}
	o := Outcome{Document: doc, Run: run}
	if a.Type == TypeEmail {
		return s.split(ctx, o, a.Parts)
	}
	policy := settings.PolicyOr(s.Policy)
	reasons := policy.ReviewReasons(doc.ID, a.Type, a.Issues)
	if len(reasons) > 0 {
		// A rerun that would send to review a document that an earlier
		// attempt already wrote to the system of record keeps to that
		// commit (below).
		held, err := s.heldByRecords(ctx, doc)
		if err != nil {
			return err
		}
		if held {
			reasons = nil
		}
	}
	if len(reasons) > 0 {
		o.Review = &ReviewTask{ID: uuid.NewString(), TenantID: doc.TenantID, DocumentID: doc.ID,
			Status: ReviewPending, Reasons: reasons, CreatedAt: s.now(), ApprovalsRequired: policy.ApprovalsRequired(reasons)}
		o.Document.Status = StatusInReview
		slog.Info("document sent to review", "document", doc.ID, "tenant", doc.TenantID, "reasons", len(reasons))
		return s.Store.SaveOutcome(ctx, o)
	}
	// Auto-commit: the idempotent MariaDB write first, then the outcome and
	// the commit in one PostgreSQL transaction. A crash between the two
	// reruns the stage, which writes the same rows again: an earlier
	// attempt that reached the system of record decided the commit (held),
	// and a rerun that would now decide otherwise (a policy changed
	// meanwhile, a model read it differently) keeps to it.
	if err := s.writeRecords(ctx, o.Document); err != nil {
		return err
	}
	now := s.now()
	o.Document.Status, o.Document.Stage, o.Document.CommittedAt = StatusCommitted, StageCommit, &now
	if err := s.Store.SaveOutcome(ctx, o); err != nil {
		return err
	}
	s.committed(o.Document, now)
	return nil
}

// heldByRecords reports whether an earlier attempt wrote the document to
// the system of record.
func (s *Service) heldByRecords(ctx context.Context, d Document) (bool, error) {
	if d.Attempts <= 1 {
		return false, nil // the first attempt: no earlier one wrote anything
	}
	return s.Records.Holds(ctx, d.TenantID, d.ID)
}

// committed tells the observer that d reached the system of record.
func (s *Service) committed(d Document, at time.Time) {
	slog.Info("document committed", "document", d.ID, "tenant", d.TenantID)
	if s.Observer != nil && !d.ReceivedAt.IsZero() {
		s.Observer.Committed(at.Sub(d.ReceivedAt))
	}
}

// llmMode is the tenant's choice of when to ask the model, or "rules" once
// its monthly token budget is spent.
func (s *Service) llmMode(ctx context.Context, tenantID string, ts TenantSettings) (string, error) {
	if ts.MonthlyTokenBudget <= 0 || ts.LLMMode == "rules" {
		return ts.LLMMode, nil
	}
	now := s.now()
	used, err := s.Store.TokensUsedSince(ctx, tenantID, time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return "", err
	}
	if used >= ts.MonthlyTokenBudget {
		return "rules", nil
	}
	return ts.LLMMode, nil
}

// split stores the parts of an email as child documents; the store inserts
// them with their jobs in the same transaction as the email's outcome.
func (s *Service) split(ctx context.Context, o Outcome, parts []Part) error {
	for _, p := range parts {
		sum := sha256.Sum256(p.Data)
		child := Document{ID: uuid.NewString(), TenantID: o.Document.TenantID, ParentID: o.Document.ID,
			FileName: CleanFileName(p.Name), Size: int64(len(p.Data)), SHA256: hex.EncodeToString(sum[:]),
			Status: StatusReceived, Stage: StageIntake, ReceivedAt: s.now(), UploadedBy: o.Document.UploadedBy}
		if s.Check != nil {
			if ref, ok := derrors.AsRefusal(s.Check(p.Name, p.Data)); ok {
				child.Status, child.Refusal, child.RefusalMessage = StatusRefused, ref.Code, ref.Message
			}
		}
		if len(bytes.TrimSpace(p.Data)) > 0 {
			key, err := s.Files.Put(ctx, child.TenantID, p.Data)
			if err != nil {
				return err
			}
			child.StorageKey = key
		}
		o.Children = append(o.Children, child)
	}
	o.Document.Status = StatusCommitted
	return s.Store.SaveOutcome(ctx, o)
}

// stageFailed stores why a stage failed. Refusals end the document as
// refused and are not retried; permanent errors and the last attempt end it
// as failed; other errors are returned for a retry.
//
// Its writes run on a context of their own (Bookkeeping): the stage may have
// failed because its context ended (the queue's job timeout, a hard stop),
// and on a last attempt a failure that cannot be recorded would leave the
// document processing for good.
func (s *Service) stageFailed(ctx context.Context, doc Document, cause error, final bool) error {
	ctx, cancel := Bookkeeping(ctx)
	defer cancel()
	if ref, ok := derrors.AsRefusal(cause); ok {
		if err := s.Store.SaveStageError(ctx, doc, StatusRefused, ref.Code, ref.Message); err != nil {
			return errors.Join(cause, err)
		}
		return nil
	}
	_, code := derrors.ToStatus(cause)
	var rl *derrors.RateLimited
	if errors.As(cause, &rl) && rl.RetryAfter > 0 && !derrors.IsPermanent(cause) {
		// The queue snoozes the job; that is no failure and spends no
		// attempt (a model or provider unavailable for a while).
		slog.Info("stage snoozed", "document", doc.ID, "tenant", doc.TenantID, "stage", doc.Stage, "code", code, "retry_in", rl.RetryAfter, "err", cause)
		if err := s.Store.SaveStageError(ctx, doc, "", code, cause.Error()); err != nil {
			return errors.Join(cause, err)
		}
		return cause
	}
	status := Status("")
	// An outage of a backing service ends no document on a last attempt:
	// the queue snoozes its job, and gives up (GiveUp) after a bound.
	if (final && !derrors.IsUnavailable(cause)) || derrors.IsPermanent(cause) {
		status = StatusFailed
		if s.endHeld(ctx, doc) {
			return nil
		}
	}
	slog.Warn("stage failed", "document", doc.ID, "tenant", doc.TenantID, "stage", doc.Stage, "code", code, "final", status == StatusFailed, "err", cause)
	if err := s.Store.SaveStageError(ctx, doc, status, code, cause.Error()); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// Commit writes an approved document to the system of record and marks it
// committed. It runs twice safely: the write is an idempotent upsert.
func (s *Service) Commit(ctx context.Context, tenantID, id string) (err error) {
	defer derrors.Wrap(&err, "commit(%s)", id)
	doc, err := s.Store.Document(ctx, tenantID, id)
	if err != nil {
		return err
	}
	if doc.Status == StatusCommitted {
		return nil
	}
	if doc.Status != StatusProcessing || doc.Stage != StageCommit {
		return fmt.Errorf("%w: document is %s at stage %s, not waiting for its commit", derrors.Permanent, doc.Status, doc.Stage)
	}
	if err := s.commit(ctx, doc); err != nil {
		return s.stageFailed(ctx, doc, err, false)
	}
	return nil
}

// GiveUp ends a document whose stage will not be tried again (its job
// spent its attempts, or a backing service stayed unavailable past the
// queue's bound): it is marked failed with cause's code and message, so
// that it never stays processing unseen. A document no longer processing
// is left as it is.
//
// It runs on a context of its own (Bookkeeping), so that a job whose
// context ended (its timeout, a hard stop) still ends its document.
func (s *Service) GiveUp(ctx context.Context, tenantID, id string, cause error) (err error) {
	defer derrors.Wrap(&err, "give up(%s)", id)
	ctx, cancel := Bookkeeping(ctx)
	defer cancel()
	doc, err := s.Store.Document(ctx, tenantID, id)
	if err != nil {
		return err
	}
	if doc.Status != StatusProcessing {
		return nil
	}
	if s.endHeld(ctx, doc) {
		return nil
	}
	_, code := derrors.ToStatus(cause)
	slog.Warn("stage given up", "document", doc.ID, "tenant", doc.TenantID, "stage", doc.Stage, "code", code, "err", cause)
	return s.Store.SaveStageError(ctx, doc, StatusFailed, code, cause.Error())
}

// BookkeepingTimeout bounds the writes that record how a stage ended
// (Bookkeeping).
const BookkeepingTimeout = 10 * time.Second

// Bookkeeping returns a context for recording how a stage ended: it keeps
// ctx's values (trace, tenant) but not its cancellation or deadline, which
// may be what ended the stage (the queue's job timeout, a hard stop), and
// has a bound of its own, BookkeepingTimeout.
func Bookkeeping(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), BookkeepingTimeout)
}

// endHeld marks committed a document whose stage fails for good although
// an attempt wrote it to the system of record (the failure came after
// that write): what the HR platform reads is the truth, and the document
// must say so rather than failed. It reports whether it did.
func (s *Service) endHeld(ctx context.Context, doc Document) bool {
	held, err := s.Records.Holds(ctx, doc.TenantID, doc.ID)
	if err != nil || !held {
		return false
	}
	now := s.now()
	if err := s.Store.MarkCommitted(ctx, doc.TenantID, doc.ID, now); err != nil {
		slog.Warn("document in the system of record, not yet marked committed", "document", doc.ID, "tenant", doc.TenantID, "err", err)
		return false
	}
	slog.Warn("stage failed after the system of record took the document: marked committed", "document", doc.ID, "tenant", doc.TenantID, "stage", doc.Stage)
	s.committed(doc, now)
	return true
}

// commit upserts the rows, then records the commit.
func (s *Service) commit(ctx context.Context, doc Document) error {
	if err := s.writeRecords(ctx, doc); err != nil {
		return err
	}
	now := s.now()
	if err := s.Store.MarkCommitted(ctx, doc.TenantID, doc.ID, now); err != nil {
		return err
	}
	s.committed(doc, now)
	return nil
}

// writeRecords writes the document's rows to the system of record. A
// document with an error finding gets there only through an approved review.
func (s *Service) writeRecords(ctx context.Context, doc Document) error {
	if HasErrors(doc.Issues) && (doc.Review == nil || doc.Review.Status != ReviewApproved) {
		return fmt.Errorf("%w: document has error findings and no approved review", derrors.Permanent)
	}
	if doc.Type != TypeContract && doc.Type != TypeTimesheet {
		return nil
	}
	span := startSpan(ctx, "commit", append(documentAttrs(doc.TenantID, doc.ID), attribute.String("document.type", string(doc.Type)))...)
	err := s.Records.Commit(span.ctx, doc)
	span.end(err)
	if err != nil {
		if errors.Is(err, derrors.Permanent) {
			return err
		}
		return fmt.Errorf("%w: %w", derrors.Transient, err)
	}
	return nil
}
