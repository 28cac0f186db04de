package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/storage/postgres"
	"github.com/gin-gonic/gin"
)

// InboundAddresses makes and lists the addresses at which tenants receive
// mail over SMTP.
type InboundAddresses interface {
	CreateInboundAddress(ctx context.Context, tenantID string) (postgres.InboundAddress, error)
	InboundAddresses(ctx context.Context, tenantID string) ([]postgres.InboundAddress, error)
}

// WithInboundAddresses serves the inbound-address routes for domain.
func WithInboundAddresses(a InboundAddresses, domain string) Option {
	return func(s *Server) { s.inbound, s.inboundDomain = a, domain }
}

type inboundJSON struct {
	Address   string    `json:"address"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Server) createInboundAddress(c *gin.Context) error {
	if s.inbound == nil {
		return fmt.Errorf("inbound addresses are not served: %w", derrors.NotFound)
	}
	a, err := s.inbound.CreateInboundAddress(c.Request.Context(), principal(c).TenantID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, inboundJSON{Address: a.Token + "@" + s.inboundDomain, CreatedAt: a.CreatedAt.UTC()})
	return nil
}

func (s *Server) listInboundAddresses(c *gin.Context) error {
	if s.inbound == nil {
		return fmt.Errorf("inbound addresses are not served: %w", derrors.NotFound)
	}
	as, err := s.inbound.InboundAddresses(c.Request.Context(), principal(c).TenantID)
	if err != nil {
		return err
	}
	items := make([]inboundJSON, 0, len(as))
	for _, a := range as {
		items = append(items, inboundJSON{Address: a.Token + "@" + s.inboundDomain, CreatedAt: a.CreatedAt.UTC()})
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}
