package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"github.com/gin-gonic/gin"
)

// getContract returns the committed contract of a number, from MariaDB.
func (s *Server) getContract(c *gin.Context) error {
	ct, err := s.svc.Records.Contract(c.Request.Context(), principal(c).TenantID, c.Param("contract_number"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, ct)
	return nil
}

// listTimesheets returns the committed timesheets of a contract, from MariaDB.
func (s *Server) listTimesheets(c *gin.Context) error {
	number := strings.TrimSpace(c.Query("contract_number"))
	if number == "" {
		return fmt.Errorf("%w: contract_number is required", derrors.InvalidArgument)
	}
	ts, err := s.svc.Records.Timesheets(c.Request.Context(), principal(c).TenantID, number)
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []pipeline.CommittedTimesheet{}
	}
	c.JSON(http.StatusOK, gin.H{"items": ts})
	return nil
}
