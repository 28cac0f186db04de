package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/docflow/docflow/config"
	"github.com/docflow/docflow/extractors/crosscheck"
	"github.com/docflow/docflow/health"
	"github.com/docflow/docflow/metrics"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// observe wires the metrics into the pipeline and the model's extractor,
// and builds the readiness checks of this process.
func observe(a *app, cfg config.Config) (*metrics.Metrics, *health.Checker) {
	m := metrics.New(a.pool)
	a.svc.Observer = m
	if cc, ok := a.svc.Analyzer.Extractor.(*crosscheck.Extractor); ok {
		cc.Observer = m
		if cc.Breaker != nil {
			m.WatchBreaker(cc.Breaker)
		}
	}
	files := health.Dir("files", filepath.Join(cfg.DataDir, "files"))
	if cfg.S3.Enabled() {
		// The bucket, not the local folder, holds the files.
		raw, openErr := openRaw(cfg)
		files = health.Check{Name: "files", Run: func(ctx context.Context) error {
			if openErr != nil {
				return openErr
			}
			if p, ok := raw.(interface{ Ping(context.Context) error }); ok {
				return p.Ping(ctx)
			}
			return nil
		}}
	}
	ready := &health.Checker{Checks: []health.Check{health.Postgres(a.pool), health.MariaDB(a.mdb), files}}
	return m, ready
}

// serveOps serves /metrics, /healthz and /readyz on DOCFLOW_METRICS_ADDR,
// for processes that serve no API (serve --workers-only).
func serveOps(cfg config.Config, m *metrics.Metrics, ready *health.Checker) ([]*http.Server, error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler(cfg.Ops.MetricsToken))
	mux.Handle("GET /readyz", ready)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	l, err := net.Listen("tcp", cfg.Ops.MetricsAddr)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("metrics server stopped", "err", err)
		}
	}()
	slog.Info("docflow metrics serving", "addr", l.Addr().String())
	return []*http.Server{srv}, nil
}

// stopper stops a process gracefully: first the HTTP servers (no new
// uploads), then River softly, letting running jobs finish within the
// timeout, then hard, cancelling the jobs still running: River records
// each as failed for this attempt and retries it later, here or in
// another process. The pools close after (deferred before).
type stopper struct {
	servers []*http.Server
	river   *river.Client[pgx.Tx]
}

func (s *stopper) stop(timeout time.Duration) {
	if timeout <= 0 {
		timeout = config.DefaultShutdownTimeout
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for _, srv := range s.servers {
		if err := srv.Shutdown(ctx); err != nil {
			slog.Warn("http server shutdown", "err", err)
		}
	}
	if s.river == nil {
		return
	}
	slog.Info("stopping workers: running jobs may finish", "timeout", timeout)
	if err := s.river.Stop(ctx); err == nil {
		slog.Info("workers stopped", "after", time.Since(start).Round(time.Millisecond))
		return
	}
	slog.Warn("jobs still running at the shutdown timeout: cancelling them, River retries them later")
	hard, cancelHard := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelHard()
	if err := s.river.StopAndCancel(hard); err != nil {
		slog.Error("workers did not stop", "err", err)
		return
	}
	slog.Info("workers stopped", "after", time.Since(start).Round(time.Millisecond))
}

// flushTraces sends the spans still buffered.
func flushTraces(stop func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := stop(ctx); err != nil {
		slog.Warn("flushing traces", "err", err)
	}
}
