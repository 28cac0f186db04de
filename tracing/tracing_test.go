package tracing_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/stacktest"
	"github.com/docflow/docflow/pipeline/testdocs"
	"github.com/docflow/docflow/tracing"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// TestDocumentTrace follows one document from upload through its process
// job to the commit: every span shares the upload's trace, names the
// document and tenant, and holds none of the document's text.
func TestDocumentTrace(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	s := stacktest.New(t, stacktest.Options{})
	ctx := context.Background()
	tn, err := s.Store.CreateTenant(ctx, "Agence Trace")
	if err != nil {
		t.Fatal(err)
	}
	pdf := testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-2026-880001")))
	doc, _, err := s.Service.Upload(ctx, pipeline.Principal{TenantID: tn.ID, Role: pipeline.RoleUploader}, "c.pdf", bytes.NewReader(pdf))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := s.Store.Document(ctx, tn.ID, doc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status == pipeline.StatusCommitted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("document is %s, want committed", d.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The job's span ends just after the commit is recorded.
	want := []string{"upload", "process_document", "process", "read", "classify", "extract", "validate", "commit"}
	var spans tracetest.SpanStubs
	for time.Now().Before(deadline) {
		spans = exp.GetSpans()
		if len(byName(spans)) >= len(want) && byName(spans)["process_document"] != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	names := byName(spans)
	upload := names["upload"]
	if upload == nil {
		t.Fatalf("no upload span among %v", keys(names))
	}
	traceID := upload.SpanContext.TraceID()
	for _, name := range want {
		sp := names[name]
		if sp == nil {
			t.Errorf("no %s span among %v", name, keys(names))
			continue
		}
		if sp.SpanContext.TraceID() != traceID {
			t.Errorf("span %s is in trace %s, want the upload's %s", name, sp.SpanContext.TraceID(), traceID)
		}
	}
	if job := names["process_document"]; job != nil && (!hasAttr(job, "docflow.document", doc.ID) || !hasAttr(job, "docflow.tenant", tn.ID)) {
		t.Errorf("the job's span does not name the document and tenant: %v", job.Attributes)
	}
	for _, sp := range spans {
		for _, kv := range sp.Attributes {
			if v := kv.Value.Emit(); strings.Contains(v, "Lefèvre") || strings.Contains(v, "Boulangeries") {
				t.Errorf("span %s attribute %s holds the document's text: %q", sp.Name, kv.Key, v)
			}
		}
	}
}

func byName(spans tracetest.SpanStubs) map[string]*tracetest.SpanStub {
	m := map[string]*tracetest.SpanStub{}
	for i := range spans {
		m[spans[i].Name] = &spans[i]
	}
	return m
}

func keys(m map[string]*tracetest.SpanStub) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func hasAttr(sp *tracetest.SpanStub, key, value string) bool {
	for _, kv := range sp.Attributes {
		if string(kv.Key) == key && kv.Value.Emit() == value {
			return true
		}
	}
	return false
}

// TestTraceParentRoundTrip carries a span's context through the job
// argument's string form.
func TestTraceParentRoundTrip(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("t").Start(context.Background(), "s")
	defer span.End()
	tpHeader := tracing.TraceParent(ctx)
	if !strings.HasPrefix(tpHeader, "00-"+span.SpanContext().TraceID().String()) {
		t.Fatalf("traceparent %q does not carry trace %s", tpHeader, span.SpanContext().TraceID())
	}
	_, child := tp.Tracer("t").Start(tracing.WithTraceParent(context.Background(), tpHeader), "child")
	if child.SpanContext().TraceID() != span.SpanContext().TraceID() {
		t.Errorf("the continued span is in trace %s, want %s", child.SpanContext().TraceID(), span.SpanContext().TraceID())
	}
	if tracing.TraceParent(context.Background()) != "" || tracing.WithTraceParent(context.Background(), "garbage") == nil {
		t.Error("no span should give no traceparent")
	}
}
