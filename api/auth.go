package api

import (
	"errors"
	"fmt"
	"strings"

	"github.com/docflow/docflow/authz"
	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"github.com/gin-gonic/gin"
)

const principalKey = "docflow.principal"

// authenticate requires a valid bearer API key and stores its principal.
func (s *Server) authenticate(c *gin.Context) {
	h := c.GetHeader("Authorization")
	secret, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || strings.TrimSpace(secret) == "" {
		writeProblem(c, fmt.Errorf("%w: send Authorization: Bearer <api key>", derrors.Unauthenticated))
		return
	}
	p, err := s.auth.Authenticate(c.Request.Context(), strings.TrimSpace(secret))
	if err != nil {
		if errors.Is(err, derrors.Unauthenticated) {
			err = fmt.Errorf("%w: unknown or revoked API key", derrors.Unauthenticated)
		}
		writeProblem(c, err)
		return
	}
	c.Set(principalKey, p)
	c.Next()
}

// allow lets through only the roles that the authz matrix allows to
// perform a, and API keys whose scopes (when they have any) include a. It
// runs before the handler looks anything up, so a refused caller learns
// nothing of the object.
func allow(a authz.Action) gin.HandlerFunc {
	scope := scoped(a)
	return func(c *gin.Context) {
		p := principal(c)
		if !authz.Can(p.Role, a) {
			writeProblem(c, fmt.Errorf("%w: role %s may not %s", derrors.Forbidden, p.Role, a))
			return
		}
		scope(c)
	}
}

func principal(c *gin.Context) pipeline.Principal {
	p, _ := c.Get(principalKey)
	pr, _ := p.(pipeline.Principal)
	return pr
}
