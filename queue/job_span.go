package queue

import (
	"context"
	"errors"
	"log/slog"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/tracing"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// startJob starts the span of one attempt of a job, continuing the trace
// that enqueued it, and logs the attempt with the document and tenant.
// end closes the span with the job's outcome.
func startJob(ctx context.Context, row *rivertype.JobRow, traceparent, tenantID, documentID string) (context.Context, func(error)) {
	ctx = tracing.WithTraceParent(ctx, traceparent)
	attrs := append(tracing.Document(tenantID, documentID), attribute.String("river.queue", row.Queue),
		attribute.Int64("river.job_id", row.ID), attribute.Int("river.attempt", row.Attempt))
	ctx, span := otel.Tracer("github.com/docflow/docflow/queue").Start(ctx, row.Kind,
		trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(attrs...))
	slog.Debug("job started", "job", row.Kind, "document", documentID, "tenant", tenantID, "attempt", row.Attempt)
	return ctx, func(err error) {
		var snooze *river.JobSnoozeError
		if errors.As(err, &snooze) {
			// Waiting out a provider or an outage is no failure.
			slog.Info("job snoozed", "job", row.Kind, "document", documentID, "tenant", tenantID, "attempt", row.Attempt, "for", snooze.Duration)
		} else if err != nil {
			// The error's code only: its message may quote the document.
			_, code := derrors.ToStatus(err)
			span.SetStatus(codes.Error, code)
			slog.Warn("job failed", "job", row.Kind, "document", documentID, "tenant", tenantID, "attempt", row.Attempt, "err", err)
		}
		span.End()
	}
}
