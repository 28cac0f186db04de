package pipeline

import (
	"context"
	"fmt"
	"reflect"

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
	t := doc.Type
	if in.DocumentType != "" {
		t = in.DocumentType
	}
	if t != TypeContract && t != TypeTimesheet && t != TypeOther {
		return Document{}, fmt.Errorf("%w: document_type must be contract, timesheet or other", derrors.InvalidArgument)
	}
	before := doc.Fields.Map()
	if t != doc.Type {
		doc.Fields = Fields{Confidence: doc.Fields.Confidence}
	}
	fields, err := doc.Fields.Merge(t, in.Corrections)
	if err != nil {
		return Document{}, fmt.Errorf("%w: %v", derrors.InvalidArgument, err)
	}
	doc.Type, doc.Fields = t, fields
	if t == TypeContract || t == TypeTimesheet {
		textFindings := textIssues(doc.Issues)
		doc.Issues, err = s.Analyzer.Validator.Validate(ctx, ValidationInput{
			Type: t, Fields: fields, Contracts: s.Records.ContractLookup(p.TenantID)})
		if err != nil {
			return Document{}, err
		}
		doc.Issues = append(doc.Issues, textFindings...)
	} else {
		doc.Issues = nil
	}
	doc.Status, doc.Stage = StatusProcessing, StageCommit
	doc.Review = &ReviewRef{ID: task.ID, Status: ReviewApproved}
	d := Decision{Principal: p, ReviewID: task.ID, Approve: true, Document: doc,
		Changes: changes(before, fields.Map()), Reason: in.Comment}
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
	if err := s.Store.Decide(ctx, Decision{Principal: p, ReviewID: task.ID, Document: doc, Reason: reason}); err != nil {
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
