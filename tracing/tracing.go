// Package tracing sets up OpenTelemetry traces, exported over OTLP/HTTP
// when an endpoint is configured, and carries a trace across River jobs as
// a W3C traceparent, so that one document's upload, process and commit
// share a trace. Spans carry tenant and document ids, never a document's
// text.
package tracing

import (
	"context"
	"fmt"
	"net/url"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
)

// Setup installs the global tracer provider exporting to endpoint, an
// OTLP/HTTP URL such as http://collector:4318. With no endpoint, spans are
// not recorded. The returned function flushes and stops the exporter.
func Setup(ctx context.Context, endpoint, service string) (shutdown func(context.Context) error, err error) {
	otel.SetTextMapPropagator(propagation.TraceContext{})
	if endpoint == "" {
		return func(context.Context) error { return nil }, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("tracing: DOCFLOW_OTLP_ENDPOINT must be an http(s) URL, not %q", endpoint)
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(u.JoinPath("v1/traces").String()))
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(service))))
	otel.SetTracerProvider(tp)
	return tp.Shutdown, nil
}

// TraceParent returns the W3C traceparent of the span in ctx, "" when
// there is none.
func TraceParent(ctx context.Context) string {
	c := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, c)
	return c["traceparent"]
}

// WithTraceParent returns ctx continuing the trace of traceparent (as
// TraceParent gave it); an empty or malformed one leaves ctx alone.
func WithTraceParent(ctx context.Context, traceparent string) context.Context {
	if traceparent == "" {
		return ctx
	}
	return propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{"traceparent": traceparent})
}

// Document returns the span attributes naming a document and its tenant.
func Document(tenantID, documentID string) []attribute.KeyValue {
	return []attribute.KeyValue{attribute.String("docflow.tenant", tenantID), attribute.String("docflow.document", documentID)}
}
