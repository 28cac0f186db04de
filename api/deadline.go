package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// uploadTimeoutFactor is how many request timeouts an upload gets: its
// body may come slowly.
const uploadTimeoutFactor = 10

// WithRequestTimeout bounds each /v1 request's wait for the databases: a
// request still waiting after d (a pool with no free connection, a server
// that does not answer) answers 503 with Retry-After rather than hanging
// (config Ops.RequestTimeout). Zero sets no bound.
func WithRequestTimeout(d time.Duration) Option { return func(s *Server) { s.requestTimeout = d } }

// deadline gives the request's context the server's request timeout.
func (s *Server) deadline(c *gin.Context) {
	d := s.requestTimeout
	if d <= 0 {
		c.Next()
		return
	}
	if c.Request.Method == http.MethodPost && c.FullPath() == "/v1/documents" {
		d *= uploadTimeoutFactor
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), d)
	defer cancel()
	c.Request = c.Request.WithContext(ctx)
	c.Next()
}
