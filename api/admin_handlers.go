package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"github.com/gin-gonic/gin"
)

type auditJSON struct {
	At         time.Time      `json:"at"`
	Actor      string         `json:"actor"`
	Action     string         `json:"action"`
	DocumentID *string        `json:"document_id"`
	ReviewID   *string        `json:"review_id"`
	Details    map[string]any `json:"details"`
}

func (s *Server) writeAudit(c *gin.Context, f pipeline.AuditFilter) error {
	entries, err := s.svc.Store.Audit(c.Request.Context(), principal(c).TenantID, f)
	if err != nil {
		return err
	}
	items := make([]auditJSON, 0, len(entries))
	for _, e := range entries {
		items = append(items, auditJSON{At: e.At.UTC(), Actor: e.Actor, Action: e.Action, DocumentID: optional(e.DocumentID),
			ReviewID: optional(e.ReviewID), Details: e.Details})
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}

// getDocumentAudit is the history of one document.
func (s *Server) getDocumentAudit(c *gin.Context) error {
	if _, err := s.svc.Store.Document(c.Request.Context(), principal(c).TenantID, c.Param("id")); err != nil {
		return err
	}
	return s.writeAudit(c, pipeline.AuditFilter{DocumentID: c.Param("id")})
}

// listAudit is the tenant's audit log, for auditors: since (RFC 3339) and
// document_id filters.
func (s *Server) listAudit(c *gin.Context) error {
	f := pipeline.AuditFilter{DocumentID: c.Query("document_id")}
	if since := c.Query("since"); since != "" {
		t, err := time.Parse(time.RFC3339, since)
		if err != nil {
			return fmt.Errorf("%w: since must be an RFC 3339 time", derrors.InvalidArgument)
		}
		f.Since = &t
	}
	if f.DocumentID != "" {
		if _, err := s.svc.Store.Document(c.Request.Context(), principal(c).TenantID, f.DocumentID); err != nil {
			return err
		}
	}
	return s.writeAudit(c, f)
}

// listCorrections lists what reviewers corrected, for the evaluation datasets.
func (s *Server) listCorrections(c *gin.Context) error {
	cs, err := s.svc.Store.Corrections(c.Request.Context(), principal(c).TenantID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"items": cs})
	return nil
}

func (s *Server) getSettings(c *gin.Context) error {
	ts, err := s.svc.Store.TenantSettings(c.Request.Context(), principal(c).TenantID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, settingsJSON(ts, s.svc.Policy))
	return nil
}

func (s *Server) putSettings(c *gin.Context) error {
	var ts pipeline.TenantSettings
	if err := decodeBody(c, &ts); err != nil {
		return err
	}
	if err := s.svc.UpdateSettings(c.Request.Context(), principal(c), ts); err != nil {
		return err
	}
	return s.getSettings(c)
}

// settingsJSON shows the policy in force (the default when the tenant has
// set none) and the tenant's rule thresholds.
func settingsJSON(ts pipeline.TenantSettings, def pipeline.Policy) gin.H {
	p := ts.PolicyOr(def)
	if p.SecondApproval == nil {
		p.SecondApproval = []string{}
	}
	rules := json.RawMessage(`{}`)
	if len(ts.Rules) > 0 {
		rules = ts.Rules
	}
	mode := ts.LLMMode
	if mode == "" {
		mode = "default"
	}
	m := pipeline.MailSettings{}
	if ts.Mail != nil {
		m = *ts.Mail
	}
	if m.AllowedSenders == nil {
		m.AllowedSenders = []string{}
	}
	return gin.H{"policy": p, "rules": rules, "llm_mode": mode, "monthly_token_budget": ts.MonthlyTokenBudget,
		"mail": gin.H{"allowed_senders": m.AllowedSenders, "reply_when_unusable": m.ReplyWhenUnusable}}
}
