package pipeline

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/docflow/docflow/derrors"
)

// ApproveInput is a reviewer's approval, with optional corrected fields
// (spec names; null clears a field) and an optional document type when the
// classifier got it wrong.
type ApproveInput struct {
	ReviewID     string
	DocumentType DocumentType
	Corrections  map[string]any
	Comment      string
}

// Approve records a reviewer's approval with the corrected fields, and in
// the same transaction enqueues the commit. Only reviewers may decide.
func (s *Service) Approve(ctx context.Context, p Principal, in ApproveInput) (doc Document, err error) {
	defer derrors.Wrap(&err, "approve(%s)", in.ReviewID)
	task, doc, err := s.openTask(ctx, p, in.ReviewID)
	if err != nil {
		return Document{}, err
	}
	if doc.UploadedBy != "" && doc.UploadedBy == p.KeyID {
		return Document{}, fmt.Errorf("%w: whoever uploaded a document may not approve it", derrors.Forbidden)
	}
	if slices.Contains(task.Approvals, p.KeyID) {
		return Document{}, fmt.Errorf("%w: you approved this task already; a second reviewer must approve it", derrors.Conflict)
	}
	partial := task.ApprovalsRequired > len(task.Approvals)+1
	t := doc.Type
	if in.DocumentType != "" {
		t = in.DocumentType
	}
	if t != TypeContract && t != TypeTimesheet && t != TypeOther {
		return Document{}, fmt.Errorf("%w: document_type must be contract, timesheet or other", derrors.InvalidArgument)
	}
	before := doc.Fields.Map()
	if t != doc.Type {
		// Another type: the fields, their confidence and sources read for
		// the old one mean nothing for it.
		doc.Fields = Fields{}
	}
	fields, err := doc.Fields.Merge(t, in.Corrections)
	if err != nil {
		return Document{}, fmt.Errorf("%w: %v", derrors.InvalidArgument, err)
	}
	doc.Type, doc.Fields = t, fields
	if t == TypeContract || t == TypeTimesheet {
		settings, err := s.Store.TenantSettings(ctx, p.TenantID)
		if err != nil {
			return Document{}, err
		}
		textFindings := textIssues(doc.Issues)
		doc.Issues, err = s.Analyzer.Validator.Validate(ctx, ValidationInput{
			Type: t, Fields: fields, Contracts: s.Records.ContractLookup(p.TenantID), Rules: settings.Rules})
		if err != nil {
			return Document{}, err
		}
		doc.Issues = append(doc.Issues, textFindings...)
	} else {
		doc.Issues = nil
	}
	doc.Status, doc.Stage = StatusProcessing, StageCommit
	doc.Review = &ReviewRef{ID: task.ID, Status: ReviewApproved}
	if partial {
		doc.Status, doc.Stage = StatusInReview, StageReview
		doc.Review = &ReviewRef{ID: task.ID, Status: ReviewPending}
	}
	d := Decision{Principal: p, ReviewID: task.ID, Approve: true, Partial: partial, Document: doc,
		Changes: changes(before, fields.Map()), Reason: in.Comment, ApprovalsSeen: len(task.Approvals)}
	for field, c := range d.Changes {
		d.Corrections = append(d.Corrections, Correction{DocumentID: doc.ID, ReviewID: task.ID, Field: field,
			Extracted: c[0], Corrected: c[1], Actor: p.KeyID, At: s.now()})
	}
	if err := s.Store.Decide(ctx, d); err != nil {
		return Document{}, err
	}
	return s.Store.Document(ctx, p.TenantID, doc.ID)
}

// textIssues returns the findings about the document's text rather than its
// fields (prompt injection): a correction of fields does not change them.
func textIssues(issues []Issue) []Issue {
	var out []Issue
	for _, i := range issues {
		if i.Code == CodePromptInjection {
			out = append(out, i)
		}
	}
	return out
}

// Reject records a reviewer's rejection with its reason.
func (s *Service) Reject(ctx context.Context, p Principal, reviewID, reason string) (doc Document, err error) {
	defer derrors.Wrap(&err, "reject(%s)", reviewID)
	if reason == "" {
		return Document{}, fmt.Errorf("%w: a rejection needs a reason", derrors.InvalidArgument)
	}
	task, doc, err := s.openTask(ctx, p, reviewID)
	if err != nil {
		return Document{}, err
	}
	doc.Status, doc.Stage = StatusRejected, StageReview
	doc.Review = &ReviewRef{ID: task.ID, Status: ReviewRejected}
	if err := s.Store.Decide(ctx, Decision{Principal: p, ReviewID: task.ID, Document: doc, Reason: reason,
		ApprovalsSeen: len(task.Approvals)}); err != nil {
		return Document{}, err
	}
	return s.Store.Document(ctx, p.TenantID, doc.ID)
}

// openTask loads a review task that is still open, with its document,
// after checking that the caller may decide.
func (s *Service) openTask(ctx context.Context, p Principal, reviewID string) (ReviewTask, Document, error) {
	if p.Role != RoleReviewer {
		return ReviewTask{}, Document{}, fmt.Errorf("%w: only reviewers decide on reviews", derrors.Forbidden)
	}
	task, err := s.Store.Review(ctx, p.TenantID, reviewID)
	if err != nil {
		return ReviewTask{}, Document{}, err
	}
	if task.Status != ReviewPending && task.Status != ReviewClaimed {
		return ReviewTask{}, Document{}, fmt.Errorf("%w: review is already %s", derrors.Conflict, task.Status)
	}
	if task.Assignee != "" && task.Assignee != p.KeyID {
		return ReviewTask{}, Document{}, fmt.Errorf("%w: another reviewer has claimed this task", derrors.Conflict)
	}
	doc, err := s.Store.Document(ctx, p.TenantID, task.DocumentID)
	return task, doc, err
}

// changes lists the fields whose value differs between before and after.
func changes(before, after map[string]any) map[string][2]any {
	out := map[string][2]any{}
	for k, v := range after {
		if !reflect.DeepEqual(before[k], v) {
			out[k] = [2]any{before[k], v}
		}
	}
	for k, v := range before {
		if _, ok := after[k]; !ok {
			out[k] = [2]any{v, nil}
		}
	}
	return out
}

// Claim gives an open review task to the calling reviewer, so that no one
// else works on it; claiming a task one holds already is a no-op.
func (s *Service) Claim(ctx context.Context, p Principal, reviewID string) (ReviewTask, error) {
	if p.Role != RoleReviewer {
		return ReviewTask{}, fmt.Errorf("%w: only reviewers claim reviews", derrors.Forbidden)
	}
	return s.Store.Claim(ctx, p, reviewID)
}

// Release gives a claimed task back to the queue: its holder may, and an
// admin may release anyone's (a reviewer who left).
func (s *Service) Release(ctx context.Context, p Principal, reviewID string) (ReviewTask, error) {
	if p.Role != RoleReviewer && p.Role != RoleAdmin {
		return ReviewTask{}, fmt.Errorf("%w: only reviewers and admins release reviews", derrors.Forbidden)
	}
	return s.Store.Release(ctx, p, reviewID)
}

// UpdateSettings checks and stores a tenant's settings (admins only).
func (s *Service) UpdateSettings(ctx context.Context, p Principal, ts TenantSettings) error {
	if p.Role != RoleAdmin {
		return fmt.Errorf("%w: only admins change settings", derrors.Forbidden)
	}
	if ts.Policy != nil {
		if err := ts.Policy.Check(); err != nil {
			return fmt.Errorf("%w: policy: %v", derrors.InvalidArgument, err)
		}
	}
	if ts.MonthlyTokenBudget < 0 {
		return fmt.Errorf("%w: monthly_token_budget must not be negative", derrors.InvalidArgument)
	}
	if ts.LLMMode == "default" {
		ts.LLMMode = ""
	}
	switch ts.LLMMode {
	case "", "rules", "fallback", "always":
	default:
		return fmt.Errorf("%w: llm_mode must be rules, fallback or always", derrors.InvalidArgument)
	}
	if ts.RetentionDays < 0 || ts.RetentionDays > 36500 {
		return fmt.Errorf("%w: retention_days must be 0 (keep) to 36500", derrors.InvalidArgument)
	}
	if ts.Mail != nil {
		if err := checkSenders(ts.Mail.AllowedSenders); err != nil {
			return fmt.Errorf("%w: mail.allowed_senders: %v", derrors.InvalidArgument, err)
		}
	}
	if len(ts.Rules) > 0 {
		if err := s.Analyzer.Validator.CheckRules(ts.Rules); err != nil {
			return fmt.Errorf("%w: rules: %v", derrors.InvalidArgument, err)
		}
	}
	return s.Store.UpdateTenantSettings(ctx, p, ts)
}

// RevalidateWaiting runs the rules again on the tenant's timesheets that
// wait in review for the contract of document contractDocID, now that it
// is committed. A timesheet left with no reason for review is committed.
func (s *Service) RevalidateWaiting(ctx context.Context, tenantID, contractDocID string) (err error) {
	defer derrors.Wrap(&err, "revalidate(%s)", contractDocID)
	contract, err := s.Store.Document(ctx, tenantID, contractDocID)
	if err != nil || contract.Fields.Contract == nil {
		return err
	}
	key := ContractKey(contract.Fields.Contract.ContractNumber)
	settings, err := s.Store.TenantSettings(ctx, tenantID)
	if err != nil {
		return err
	}
	policy := settings.PolicyOr(s.Policy)
	// The store lists the waiting timesheets a batch at a time; each one
	// revalidated leaves the list, so the loop ends with a batch that
	// holds none not seen before.
	// A timesheet that changed while it was revalidated (a reviewer's
	// first approval) is read again, a few times at most; one decided
	// meanwhile is left to its decision.
	const maxTries = 3
	tries := map[string]int{}
	for {
		waiting, err := s.Store.WaitingForContract(ctx, tenantID, key)
		if err != nil {
			return err
		}
		fresh := 0
		for _, d := range waiting {
			if tries[d.ID] >= maxTries {
				continue
			}
			tries[d.ID] = maxTries // done, unless it changed meanwhile
			fresh++
			if d.Fields.Timesheet == nil || ContractKey(d.Fields.Timesheet.ContractNumber) != key {
				continue
			}
			textFindings := textIssues(d.Issues)
			issues, err := s.Analyzer.Validator.Validate(ctx, ValidationInput{Type: d.Type, Fields: d.Fields,
				Contracts: s.Records.ContractLookup(tenantID), Rules: settings.Rules})
			if err != nil {
				return err
			}
			d.Issues = append(issues, textFindings...)
			reasons := policy.ReviewReasons(d.ID, d.Type, d.Issues)
			switch err := s.Store.Revalidated(ctx, d, reasons, len(reasons) == 0); {
			case errors.Is(err, derrors.NotFound):
				// Decided meanwhile: the reviewer's decision stands.
			case errors.Is(err, derrors.Conflict):
				tries[d.ID] = tries[d.ID]%maxTries + 1
			case err != nil:
				return err
			}
		}
		if fresh == 0 {
			return nil
		}
	}
}
