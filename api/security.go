package api

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/docflow/docflow/authz"
	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/ratelimit"
	"github.com/gin-gonic/gin"
)

var (
	errRateLimited        = errors.New("rate limited")
	errUnsupportedContent = errors.New("unsupported content type")
)

// WithRateLimit bounds the requests of each API key and each tenant.
func WithRateLimit(l *ratelimit.Limiter) Option { return func(s *Server) { s.limiter = l } }

// securityHeaders are sent with every answer: the API serves JSON and
// YAML only, never to be sniffed, framed, cached or sent as a referrer.
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if c.Request.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	c.Next()
}

// rateLimit answers 429 with Retry-After once the key's or the tenant's
// bucket is empty.
func (s *Server) rateLimit(c *gin.Context) {
	if s.limiter == nil {
		c.Next()
		return
	}
	p := principal(c)
	if ok, wait := s.limiter.Allow(p.TenantID, p.KeyID); !ok {
		secs := int(wait/time.Second) + 1
		c.Header("Retry-After", strconv.Itoa(secs))
		writeProblem(c, fmt.Errorf("%w: too many requests for this API key or tenant; retry in %d s", errRateLimited, secs))
		return
	}
	c.Next()
}

// requireContentType refuses a request body of another media type than
// the route takes (415), before anything reads it.
func requireContentType(types ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength == 0 {
			c.Next()
			return
		}
		mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
		if err != nil || !slices.Contains(types, mt) {
			writeProblem(c, fmt.Errorf("%w: send %v, not %q", errUnsupportedContent, types, c.GetHeader("Content-Type")))
			return
		}
		c.Next()
	}
}

// jsonBody is the content type of the routes that take JSON.
var jsonBody = requireContentType("application/json")

// scoped refuses an API key whose scopes leave out the action.
func scoped(a authz.Action) gin.HandlerFunc {
	return func(c *gin.Context) {
		if p := principal(c); len(p.Scopes) > 0 && !slices.Contains(p.Scopes, string(a)) {
			writeProblem(c, fmt.Errorf("%w: the API key's scopes do not include %s", derrors.Forbidden, a))
			return
		}
		c.Next()
	}
}

// problemStatus maps the API's own errors to their status and code.
func problemStatus(err error) (int, string, bool) {
	switch {
	case errors.Is(err, errMethodNotAllowed):
		return http.StatusMethodNotAllowed, "method_not_allowed", true
	case errors.Is(err, errRateLimited):
		return http.StatusTooManyRequests, "rate_limited", true
	case errors.Is(err, errUnsupportedContent):
		return http.StatusUnsupportedMediaType, "unsupported_content_type", true
	}
	return 0, "", false
}
