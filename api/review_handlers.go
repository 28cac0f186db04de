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
	ID         string                `json:"id"`
	DocumentID string                `json:"document_id"`
	Status     pipeline.ReviewStatus `json:"status"`
	Reasons    []string              `json:"reasons"`
	CreatedAt  time.Time             `json:"created_at"`
	DecidedAt  *time.Time            `json:"decided_at"`
	Reason     *string               `json:"reason"`
}

func (s *Server) listReviews(c *gin.Context) error {
	status := pipeline.ReviewStatus(c.Query("status"))
	switch status {
	case "", pipeline.ReviewPending, pipeline.ReviewClaimed, pipeline.ReviewApproved, pipeline.ReviewRejected:
	default:
		return fmt.Errorf("%w: unknown review status %q", derrors.InvalidArgument, status)
	}
	tasks, err := s.svc.Store.Reviews(c.Request.Context(), principal(c).TenantID, status)
	if err != nil {
		return err
	}
	items := make([]reviewJSON, 0, len(tasks))
	for _, t := range tasks {
		reasons := t.Reasons
		if reasons == nil {
			reasons = []string{}
		}
		items = append(items, reviewJSON{ID: t.ID, DocumentID: t.DocumentID, Status: t.Status, Reasons: reasons,
			CreatedAt: t.CreatedAt.UTC(), DecidedAt: t.DecidedAt, Reason: optional(t.Reason)})
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
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
