// Package api is docflow's HTTP API on gin, following api/openapi.yaml:
// versioned routes under /v1, bearer API keys, and errors as RFC 9457
// problem+json mapped from derrors in one place. Handlers decode, call
// pipeline.Service and encode; they hold no business logic.
package api

import (
	"context"
	_ "embed"
	"net/http"

	"github.com/docflow/docflow/pipeline"
	"github.com/gin-gonic/gin"
)

//go:embed openapi.yaml
var openapiYAML []byte

// OpenAPI returns the API contract.
func OpenAPI() []byte { return openapiYAML }

// Authenticator resolves an API key to its principal.
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (pipeline.Principal, error)
}

// Server holds what the handlers need.
type Server struct {
	svc           *pipeline.Service
	auth          Authenticator
	sums          Summaries
	mailboxes     Mailboxes
	inbound       InboundAddresses
	inboundDomain string
}

// New returns the HTTP handler of the API.
func New(svc *pipeline.Service, auth Authenticator, opts ...Option) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	s := &Server{svc: svc, auth: auth}
	for _, o := range opts {
		o(s)
	}
	r := gin.New()
	r.Use(gin.Recovery())
	r.MaxMultipartMemory = 8 << 20
	r.NoRoute(handle(func(*gin.Context) error { return errRouteNotFound }))
	r.NoMethod(handle(func(*gin.Context) error { return errMethodNotAllowed }))
	r.HandleMethodNotAllowed = true
	s.routes(r)
	return r
}

// routes registers every route in one place.
func (s *Server) routes(r *gin.Engine) {
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/v1/openapi.yaml", func(c *gin.Context) { c.Data(http.StatusOK, "application/yaml", openapiYAML) })

	all := []pipeline.Role{pipeline.RoleUploader, pipeline.RoleReviewer, pipeline.RoleAdmin, pipeline.RoleAuditor}
	reviewers := []pipeline.Role{pipeline.RoleReviewer, pipeline.RoleAdmin, pipeline.RoleAuditor}
	v1 := r.Group("/v1", s.authenticate)
	v1.POST("/documents", allow(pipeline.RoleUploader, pipeline.RoleAdmin), handle(s.uploadDocument))
	v1.GET("/documents", allow(all...), handle(s.listDocuments))
	v1.GET("/documents/:id", allow(all...), handle(s.getDocument))
	v1.GET("/documents/:id/audit", allow(reviewers...), handle(s.getDocumentAudit))
	v1.GET("/reviews", allow(reviewers...), handle(s.listReviews))
	v1.POST("/reviews/:id/claim", allow(pipeline.RoleReviewer), handle(s.claimReview))
	v1.POST("/reviews/:id/release", allow(pipeline.RoleReviewer, pipeline.RoleAdmin), handle(s.releaseReview))
	v1.POST("/reviews/:id/approve", allow(pipeline.RoleReviewer), handle(s.approveReview))
	v1.POST("/reviews/:id/reject", allow(pipeline.RoleReviewer), handle(s.rejectReview))
	v1.GET("/contracts/:contract_number", allow(all...), handle(s.getContract))
	v1.GET("/timesheets", allow(all...), handle(s.listTimesheets))
	v1.GET("/contracts/:contract_number/months", allow(all...), handle(s.listContractMonths))
	v1.GET("/summaries/weekly-hours", allow(all...), handle(s.listWeeklyHours))
	v1.GET("/audit", allow(pipeline.RoleAdmin, pipeline.RoleAuditor), handle(s.listAudit))
	v1.GET("/corrections", allow(pipeline.RoleAdmin, pipeline.RoleAuditor), handle(s.listCorrections))
	v1.GET("/settings", allow(pipeline.RoleAdmin), handle(s.getSettings))
	v1.PUT("/settings", allow(pipeline.RoleAdmin), handle(s.putSettings))
	v1.POST("/mailboxes", allow(pipeline.RoleAdmin), handle(s.createMailbox))
	v1.GET("/mailboxes", allow(pipeline.RoleAdmin, pipeline.RoleAuditor), handle(s.listMailboxes))
	v1.GET("/mailboxes/:id", allow(pipeline.RoleAdmin, pipeline.RoleAuditor), handle(s.getMailbox))
	v1.PATCH("/mailboxes/:id", allow(pipeline.RoleAdmin), handle(s.updateMailbox))
	v1.GET("/mailboxes/:id/messages", allow(pipeline.RoleAdmin, pipeline.RoleAuditor), handle(s.listMailMessages))
	v1.GET("/mailboxes/:id/failures", allow(pipeline.RoleAdmin, pipeline.RoleAuditor), handle(s.listMailFailures))
	v1.POST("/inbound-addresses", allow(pipeline.RoleAdmin), handle(s.createInboundAddress))
	v1.GET("/inbound-addresses", allow(pipeline.RoleAdmin, pipeline.RoleAuditor), handle(s.listInboundAddresses))
}
