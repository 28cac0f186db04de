package pipeline

import (
	"context"
	"time"
)

type tenantKey struct{}

// WithTenant returns ctx carrying the tenant whose document is processed,
// for stages that keep per-tenant state (the model's answer cache).
func WithTenant(ctx context.Context, tenantID string) context.Context {
	return context.WithValue(ctx, tenantKey{}, tenantID)
}

// TenantFromContext returns the tenant that WithTenant put in ctx, or "".
func TenantFromContext(ctx context.Context) string {
	s, _ := ctx.Value(tenantKey{}).(string)
	return s
}

type llmModeKey struct{}

// WithLLMMode returns ctx carrying a tenant's choice of when to ask the
// model (TenantSettings.LLMMode).
func WithLLMMode(ctx context.Context, mode string) context.Context {
	return context.WithValue(ctx, llmModeKey{}, mode)
}

// LLMModeFromContext returns the mode that WithLLMMode put in ctx, or "".
func LLMModeFromContext(ctx context.Context) string {
	s, _ := ctx.Value(llmModeKey{}).(string)
	return s
}

type waitingSinceKey struct{}

// WithWaitingSince returns ctx carrying since when the document has been
// waiting to be decided (when it was received), so that a stage that
// waits for a failing provider knows when to stop waiting.
func WithWaitingSince(ctx context.Context, since time.Time) context.Context {
	return context.WithValue(ctx, waitingSinceKey{}, since)
}

// WaitingSinceFromContext returns the time that WithWaitingSince put in
// ctx; false when none is.
func WaitingSinceFromContext(ctx context.Context) (time.Time, bool) {
	t, ok := ctx.Value(waitingSinceKey{}).(time.Time)
	return t, ok && !t.IsZero()
}
