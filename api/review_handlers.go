package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"github.com/gin-gonic/gin"
)

type reviewJSON struct {
	ID                string                `json:"id"`
	DocumentID        string                `json:"document_id"`
	DocumentType      *string               `json:"document_type"`
	Status            pipeline.ReviewStatus `json:"status"`
	Reasons           []string              `json:"reasons"`
	CreatedAt         time.Time             `json:"created_at"`
	DecidedAt         *time.Time            `json:"decided_at"`
	Reason            *string               `json:"reason"`
	Assignee          *string               `json:"assignee"`
	ClaimedAt         *time.Time            `json:"claimed_at"`
	ApprovalsRequired int                   `json:"approvals_required"`
	Approvals         []string              `json:"approvals"`
}

func toReviewJSON(t pipeline.ReviewTask) reviewJSON {
	r := reviewJSON{ID: t.ID, DocumentID: t.DocumentID, DocumentType: optional(string(t.DocumentType)), Status: t.Status,
		Reasons: t.Reasons, CreatedAt: t.CreatedAt.UTC(), DecidedAt: t.DecidedAt, Reason: optional(t.Reason),
		Assignee: optional(t.Assignee), ClaimedAt: t.ClaimedAt, ApprovalsRequired: t.ApprovalsRequired, Approvals: t.Approvals}
	if r.Reasons == nil {
		r.Reasons = []string{}
	}
	if r.Approvals == nil {
		r.Approvals = []string{}
	}
	return r
}

// listReviews is the review queue, with filters: status, document_type,
// code (a reason), assignee ("me", "none" or a key id) and older_than (a
// duration such as 24h).
func (s *Server) listReviews(c *gin.Context) error {
	p := principal(c)
	f := pipeline.ReviewFilter{Status: pipeline.ReviewStatus(c.Query("status")),
		DocumentType: pipeline.DocumentType(c.Query("document_type")), Code: c.Query("code"), Assignee: c.Query("assignee")}
	switch f.Status {
	case "", pipeline.ReviewPending, pipeline.ReviewClaimed, pipeline.ReviewApproved, pipeline.ReviewRejected:
	default:
		return fmt.Errorf("%w: unknown review status %q", derrors.InvalidArgument, f.Status)
	}
	switch f.DocumentType {
	case "", pipeline.TypeContract, pipeline.TypeTimesheet, pipeline.TypeOther:
	default:
		return fmt.Errorf("%w: unknown document_type %q", derrors.InvalidArgument, f.DocumentType)
	}
	if f.Assignee == "me" {
		f.Assignee = p.KeyID
	}
	if age := c.Query("older_than"); age != "" {
		d, err := time.ParseDuration(age)
		if err != nil || d < 0 {
			return fmt.Errorf("%w: older_than must be a duration such as 24h", derrors.InvalidArgument)
		}
		before := time.Now().Add(-d)
		f.OlderThan = &before
	}
	tasks, err := s.svc.Store.Reviews(c.Request.Context(), p.TenantID, f)
	if err != nil {
		return err
	}
	items := make([]reviewJSON, 0, len(tasks))
	for _, t := range tasks {
		items = append(items, toReviewJSON(t))
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}

func (s *Server) claimReview(c *gin.Context) error {
	t, err := s.svc.Claim(c.Request.Context(), principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, toReviewJSON(t))
	return nil
}

func (s *Server) releaseReview(c *gin.Context) error {
	t, err := s.svc.Release(c.Request.Context(), principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, toReviewJSON(t))
	return nil
}

type approveRequest struct {
	Fields       map[string]any `json:"fields"`
	DocumentType string         `json:"document_type"`
	Comment      string         `json:"comment"`
}

type rejectRequest struct {
	Reason string `json:"reason"`
}

// decodeBody decodes an optional JSON body strictly.
func decodeBody(c *gin.Context, v any) error {
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, 1<<20))
	if err != nil || len(body) == 0 {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: request body: %v", derrors.InvalidArgument, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: request body: one JSON object, with nothing after it", derrors.InvalidArgument)
	}
	return nil
}

func (s *Server) approveReview(c *gin.Context) error {
	var req approveRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	doc, err := s.svc.Approve(c.Request.Context(), principal(c), pipeline.ApproveInput{
		ReviewID: c.Param("id"), DocumentType: pipeline.DocumentType(req.DocumentType),
		Corrections: req.Fields, Comment: req.Comment})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, toDocumentJSON(doc))
	return nil
}

func (s *Server) rejectReview(c *gin.Context) error {
	var req rejectRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	doc, err := s.svc.Reject(c.Request.Context(), principal(c), c.Param("id"), req.Reason)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, toDocumentJSON(doc))
	return nil
}
