package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/docflow/docflow/derrors"
	"github.com/gin-gonic/gin"
)

var (
	errRouteNotFound    = fmt.Errorf("no such route: %w", derrors.NotFound)
	errMethodNotAllowed = errors.New("method not allowed")
)

// Problem is an RFC 9457 problem detail, with a stable code.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	Code     string `json:"code"`
	// DocumentID names the document kept for audit when an upload is refused.
	DocumentID string `json:"document_id,omitempty"`
}

// handle adapts a handler that returns an error, writing the error as
// problem+json: the one place where errors become HTTP statuses.
func handle(fn func(*gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := fn(c); err != nil {
			writeProblem(c, err)
		}
	}
}

func writeProblem(c *gin.Context, err error) {
	status, code := derrors.ToStatus(err)
	if st, cd, ok := problemStatus(err); ok {
		status, code = st, cd
	}
	p := Problem{
		Type:     "https://docflow.dev/problems/" + code,
		Title:    http.StatusText(status),
		Status:   status,
		Detail:   err.Error(),
		Instance: c.Request.URL.Path,
		Code:     code,
	}
	if ref, ok := derrors.AsRefusal(err); ok {
		p.Detail = ref.Message
		p.DocumentID = c.GetString("refused_document_id")
	}
	switch {
	case status == http.StatusServiceUnavailable:
		// An outage the client is asked to wait out: the operator sees it
		// in the readiness probe and the backing service's own alerts.
		slog.Warn("request deferred", "path", c.Request.URL.Path, "err", err)
		p.Detail = "a backing service is unavailable; retry after the Retry-After delay"
	case status >= 500:
		slog.Error("request failed", "path", c.Request.URL.Path, "err", err)
		p.Detail = "an internal error occurred; it has been logged"
	}
	if status == http.StatusServiceUnavailable {
		// A backing service is down or restarting: the client may retry.
		c.Header("Retry-After", strconv.Itoa(int(derrors.RetryAfter.Seconds())))
	}
	if status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="docflow"`)
	}
	c.Header("Content-Type", "application/problem+json")
	c.AbortWithStatusJSON(status, p)
	c.Header("Content-Type", "application/problem+json")
}
