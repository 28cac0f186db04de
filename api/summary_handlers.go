package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/storage/mariadb"
	"github.com/gin-gonic/gin"
)

// Summaries reads the summary tables of the system of record.
type Summaries interface {
	WeeklyHours(ctx context.Context, tenantID string, f mariadb.WeeklyHoursFilter) ([]mariadb.WorkerWeek, error)
	ContractMonths(ctx context.Context, tenantID, contractNumber string) ([]mariadb.ContractMonth, error)
}

// Option configures the server.
type Option func(*Server)

// WithSummaries serves the summary tables.
func WithSummaries(s Summaries) Option { return func(srv *Server) { srv.sums = s } }

// listWeeklyHours: hours per worker per ISO week per client, with filters
// worker, client, from and to (ISO days).
func (s *Server) listWeeklyHours(c *gin.Context) error {
	if s.sums == nil {
		return fmt.Errorf("summaries are not served: %w", derrors.NotFound)
	}
	f := mariadb.WeeklyHoursFilter{Worker: c.Query("worker"), Client: c.Query("client")}
	for name, dst := range map[string]**pipeline.Date{"from": &f.From, "to": &f.To} {
		if v := strings.TrimSpace(c.Query(name)); v != "" {
			d, err := pipeline.ParseDate(v)
			if err != nil {
				return fmt.Errorf("%w: %s: %v", derrors.InvalidArgument, name, err)
			}
			*dst = &d
		}
	}
	rows, err := s.sums.WeeklyHours(c.Request.Context(), principal(c).TenantID, f)
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []mariadb.WorkerWeek{}
	}
	c.JSON(http.StatusOK, gin.H{"items": rows})
	return nil
}

// listContractMonths: hours and amounts per month billed against a
// contract. A number that the tenant knows neither as a committed contract
// nor from timesheets answers 404, like the contract itself (another
// tenant's contracts included).
func (s *Server) listContractMonths(c *gin.Context) error {
	if s.sums == nil {
		return fmt.Errorf("summaries are not served: %w", derrors.NotFound)
	}
	ctx, tenantID, number := c.Request.Context(), principal(c).TenantID, c.Param("contract_number")
	rows, err := s.sums.ContractMonths(ctx, tenantID, number)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		if _, err := s.svc.Records.Contract(ctx, tenantID, number); err != nil {
			return err
		}
		rows = []mariadb.ContractMonth{}
	}
	c.JSON(http.StatusOK, gin.H{"items": rows})
	return nil
}
