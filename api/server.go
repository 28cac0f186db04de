// Package api is docflow's HTTP API on gin, following api/openapi.yaml:
// versioned routes under /v1, bearer API keys, and errors as RFC 9457
// problem+json mapped from derrors in one place. Handlers decode, call
// pipeline.Service and encode; they hold no business logic.
package api

import (
	"context"
	_ "embed"
	"net/http"
	"time"

	"github.com/docflow/docflow/authz"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/ratelimit"
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
	keys          Keys
	limiter       *ratelimit.Limiter
	webhooks      Webhooks
	ready         http.Handler
	// requestTimeout bounds a /v1 request (WithRequestTimeout).
	requestTimeout time.Duration
}

// New returns the HTTP handler of the API.
func New(svc *pipeline.Service, auth Authenticator, opts ...Option) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	s := &Server{svc: svc, auth: auth}
	for _, o := range opts {
		o(s)
	}
	r := gin.New()
	r.Use(gin.Recovery(), securityHeaders)
	r.MaxMultipartMemory = 8 << 20
	r.NoRoute(handle(func(*gin.Context) error { return errRouteNotFound }))
	r.NoMethod(handle(func(*gin.Context) error { return errMethodNotAllowed }))
	r.HandleMethodNotAllowed = true
	s.routes(r)
	return r
}

// routes registers every route in one place, each with the authz action
// that it performs.
func (s *Server) routes(r *gin.Engine) {
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", s.readyz)
	r.GET("/v1/openapi.yaml", func(c *gin.Context) { c.Data(http.StatusOK, "application/yaml", openapiYAML) })

	v1 := r.Group("/v1", s.deadline, s.authenticate, s.rateLimit)
	v1.POST("/documents", allow(authz.DocumentUpload), requireContentType("multipart/form-data"), handle(s.uploadDocument))
	v1.GET("/documents", allow(authz.DocumentRead), handle(s.listDocuments))
	v1.GET("/documents/:id", allow(authz.DocumentRead), handle(s.getDocument))
	v1.GET("/documents/:id/audit", allow(authz.DocumentAudit), handle(s.getDocumentAudit))
	v1.GET("/reviews", allow(authz.ReviewList), handle(s.listReviews))
	v1.POST("/reviews/:id/claim", allow(authz.ReviewClaim), handle(s.claimReview))
	v1.POST("/reviews/:id/release", allow(authz.ReviewRelease), handle(s.releaseReview))
	v1.POST("/reviews/:id/approve", allow(authz.ReviewDecide), jsonBody, handle(s.approveReview))
	v1.POST("/reviews/:id/reject", allow(authz.ReviewDecide), jsonBody, handle(s.rejectReview))
	v1.GET("/contracts/:contract_number", allow(authz.RecordsRead), handle(s.getContract))
	v1.GET("/timesheets", allow(authz.RecordsRead), handle(s.listTimesheets))
	v1.GET("/contracts/:contract_number/months", allow(authz.RecordsRead), handle(s.listContractMonths))
	v1.GET("/summaries/weekly-hours", allow(authz.RecordsRead), handle(s.listWeeklyHours))
	v1.GET("/audit", allow(authz.AuditRead), handle(s.listAudit))
	v1.GET("/corrections", allow(authz.CorrectionsRead), handle(s.listCorrections))
	v1.GET("/settings", allow(authz.SettingsRead), handle(s.getSettings))
	v1.PUT("/settings", allow(authz.SettingsWrite), jsonBody, handle(s.putSettings))
	v1.POST("/mailboxes", allow(authz.MailboxWrite), jsonBody, handle(s.createMailbox))
	v1.GET("/mailboxes", allow(authz.MailboxRead), handle(s.listMailboxes))
	v1.GET("/mailboxes/:id", allow(authz.MailboxRead), handle(s.getMailbox))
	v1.PATCH("/mailboxes/:id", allow(authz.MailboxWrite), jsonBody, handle(s.updateMailbox))
	v1.GET("/mailboxes/:id/messages", allow(authz.MailboxRead), handle(s.listMailMessages))
	v1.GET("/mailboxes/:id/failures", allow(authz.MailboxRead), handle(s.listMailFailures))
	v1.POST("/inbound-addresses", allow(authz.InboundWrite), handle(s.createInboundAddress))
	v1.GET("/inbound-addresses", allow(authz.InboundRead), handle(s.listInboundAddresses))
	v1.GET("/api-keys", allow(authz.APIKeyRead), handle(s.listAPIKeys))
	v1.POST("/api-keys", allow(authz.APIKeyWrite), jsonBody, handle(s.createAPIKey))
	v1.POST("/api-keys/:id/rotate", allow(authz.APIKeyWrite), jsonBody, handle(s.rotateAPIKey))
	v1.DELETE("/api-keys/:id", allow(authz.APIKeyWrite), handle(s.revokeAPIKey))
	v1.GET("/workers/export", allow(authz.WorkerExport), handle(s.exportWorker))
	v1.POST("/webhooks", allow(authz.WebhookWrite), jsonBody, handle(s.createWebhook))
	v1.GET("/webhooks", allow(authz.WebhookRead), handle(s.listWebhooks))
	v1.GET("/webhooks/:id", allow(authz.WebhookRead), handle(s.getWebhook))
	v1.PATCH("/webhooks/:id", allow(authz.WebhookWrite), jsonBody, handle(s.updateWebhook))
	v1.DELETE("/webhooks/:id", allow(authz.WebhookWrite), handle(s.deleteWebhook))
	v1.GET("/webhooks/:id/deliveries", allow(authz.WebhookRead), handle(s.listDeliveries))
	v1.POST("/webhooks/:id/deliveries/:delivery_id/redeliver", allow(authz.WebhookWrite), handle(s.redeliver))
}
