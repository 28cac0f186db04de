package pipeline

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// tracer makes the spans of the stages. With no tracer provider installed
// (package tracing) they are not recorded.
var tracer = otel.Tracer("github.com/docflow/docflow/pipeline")

// stageSpan is the span of one stage, with the context that carries it.
type stageSpan struct {
	ctx  context.Context
	span trace.Span
}

// startSpan starts the span of a stage. Its attributes are ids, counts
// and codes, never the document's text.
func startSpan(ctx context.Context, name string, attrs ...attribute.KeyValue) stageSpan {
	ctx, span := tracer.Start(ctx, name, trace.WithAttributes(attrs...))
	return stageSpan{ctx: ctx, span: span}
}

// end closes the span with the stage's outcome: a failure is recorded as
// its status, without the error's message (it may quote the document).
func (s stageSpan) end(err error, attrs ...attribute.KeyValue) {
	s.span.SetAttributes(attrs...)
	if err != nil {
		s.span.SetStatus(codes.Error, "stage failed")
	}
	s.span.End()
}

// documentAttrs name a document and its tenant on a span.
func documentAttrs(tenantID, documentID string) []attribute.KeyValue {
	return []attribute.KeyValue{attribute.String("docflow.tenant", tenantID), attribute.String("docflow.document", documentID)}
}
