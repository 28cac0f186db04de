package pipeline

import "context"

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
