package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/docflow/docflow/authz"
	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"github.com/gin-gonic/gin"
)

// Keys manages the tenants' API keys.
type Keys interface {
	CreateKey(ctx context.Context, spec pipeline.KeySpec) (pipeline.APIKey, error)
	APIKeys(ctx context.Context, tenantID string) ([]pipeline.APIKey, error)
	RotateAPIKey(ctx context.Context, p pipeline.Principal, id string, grace time.Duration) (pipeline.APIKey, error)
	RevokeAPIKey(ctx context.Context, p pipeline.Principal, id string) (pipeline.APIKey, error)
}

// WithKeys serves the API key routes.
func WithKeys(k Keys) Option { return func(s *Server) { s.keys = k } }

type createKeyRequest struct {
	Role   string   `json:"role"`
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
	// ExpiresInDays is the key's life; 0 never ends it.
	ExpiresInDays int `json:"expires_in_days"`
}

func (s *Server) keyStore() (Keys, error) {
	if s.keys == nil {
		return nil, fmt.Errorf("api keys are not served: %w", derrors.NotFound)
	}
	return s.keys, nil
}

// createAPIKey makes a key of the caller's tenant: the secret is in this
// answer only.
func (s *Server) createAPIKey(c *gin.Context) error {
	ks, err := s.keyStore()
	if err != nil {
		return err
	}
	var req createKeyRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	role := pipeline.Role(req.Role)
	if !pipeline.ValidRole(role) {
		return fmt.Errorf("%w: role must be uploader, reviewer, admin or auditor", derrors.InvalidArgument)
	}
	for _, sc := range req.Scopes {
		if !slices.Contains(authz.Actions(), authz.Action(sc)) {
			return fmt.Errorf("%w: unknown scope %q (scopes are authz actions, e.g. document.upload)", derrors.InvalidArgument, sc)
		}
		if !authz.Can(role, authz.Action(sc)) {
			return fmt.Errorf("%w: role %s may not %s: a scope only narrows the role", derrors.InvalidArgument, role, sc)
		}
	}
	if req.ExpiresInDays < 0 || req.ExpiresInDays > 3650 {
		return fmt.Errorf("%w: expires_in_days must be 0 (never) to 3650", derrors.InvalidArgument)
	}
	p := principal(c)
	spec := pipeline.KeySpec{TenantID: p.TenantID, Role: role, Name: strings.TrimSpace(req.Name), Scopes: req.Scopes, CreatedBy: p.KeyID}
	if req.ExpiresInDays > 0 {
		at := time.Now().UTC().AddDate(0, 0, req.ExpiresInDays)
		spec.ExpiresAt = &at
	}
	k, err := ks.CreateKey(c.Request.Context(), spec)
	if err != nil {
		return err
	}
	c.Header("Location", "/v1/api-keys/"+k.ID)
	c.JSON(http.StatusCreated, toKeyJSON(k))
	return nil
}

func (s *Server) listAPIKeys(c *gin.Context) error {
	ks, err := s.keyStore()
	if err != nil {
		return err
	}
	keys, err := ks.APIKeys(c.Request.Context(), principal(c).TenantID)
	if err != nil {
		return err
	}
	items := make([]keyJSON, 0, len(keys))
	for _, k := range keys {
		items = append(items, toKeyJSON(k))
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}

type rotateRequest struct {
	// GraceSeconds is how long the old key keeps working (default a day).
	GraceSeconds *int `json:"grace_seconds"`
}

// rotateAPIKey makes the key's successor; the old one works for the grace
// period, so that clients switch without downtime.
func (s *Server) rotateAPIKey(c *gin.Context) error {
	ks, err := s.keyStore()
	if err != nil {
		return err
	}
	var req rotateRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	grace := 24 * time.Hour
	if req.GraceSeconds != nil {
		if *req.GraceSeconds < 0 || *req.GraceSeconds > 30*86400 {
			return fmt.Errorf("%w: grace_seconds must be 0 to 2592000 (30 days)", derrors.InvalidArgument)
		}
		grace = time.Duration(*req.GraceSeconds) * time.Second
	}
	k, err := ks.RotateAPIKey(c.Request.Context(), principal(c), c.Param("id"), grace)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, toKeyJSON(k))
	return nil
}

func (s *Server) revokeAPIKey(c *gin.Context) error {
	ks, err := s.keyStore()
	if err != nil {
		return err
	}
	k, err := ks.RevokeAPIKey(c.Request.Context(), principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, toKeyJSON(k))
	return nil
}

// keyJSON is a key as the API shows it; the secret only when just made.
type keyJSON struct {
	ID         string     `json:"id"`
	Key        string     `json:"key,omitempty"`
	Role       string     `json:"role"`
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	CreatedBy  string     `json:"created_by"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	RotatedTo  string     `json:"rotated_to"`
}

func toKeyJSON(k pipeline.APIKey) keyJSON {
	scopes := k.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return keyJSON{ID: k.ID, Key: k.Key, Role: string(k.Role), Name: k.Name, Scopes: scopes, CreatedAt: k.CreatedAt.UTC(),
		CreatedBy: k.CreatedBy, ExpiresAt: k.ExpiresAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt, RotatedTo: k.RotatedTo}
}

// exportWorker answers everything held about one worker of the tenant.
func (s *Server) exportWorker(c *gin.Context) error {
	ex, err := s.svc.ExportWorker(c.Request.Context(), principal(c), c.Query("name"))
	if err != nil {
		return err
	}
	c.Header("Content-Disposition", `attachment; filename="worker-export.json"`)
	c.JSON(http.StatusOK, ex)
	return nil
}
