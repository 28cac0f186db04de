package api

import (
	"errors"
	"fmt"
	"slices"
	"strings"

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

// allow lets only the given roles through.
func allow(roles ...pipeline.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		if p := principal(c); !slices.Contains(roles, p.Role) {
			writeProblem(c, fmt.Errorf("%w: role %s may not do this", derrors.Forbidden, p.Role))
			return
		}
		c.Next()
	}
}

func principal(c *gin.Context) pipeline.Principal {
	p, _ := c.Get(principalKey)
	pr, _ := p.(pipeline.Principal)
	return pr
}
