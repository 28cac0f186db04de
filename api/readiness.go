package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// WithReadiness answers /readyz with h (a health.Checker: 200 when the
// databases and the file store are ready, 503 naming the failed check).
func WithReadiness(h http.Handler) Option { return func(s *Server) { s.ready = h } }

// readyz is the readiness probe; without a checker the API has no
// dependency of its own to check and is ready.
func (s *Server) readyz(c *gin.Context) {
	if s.ready == nil {
		c.JSON(http.StatusOK, gin.H{"status": "ready", "checks": []any{}})
		return
	}
	s.ready.ServeHTTP(c.Writer, c.Request)
}
