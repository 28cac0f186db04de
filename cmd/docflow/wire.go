package main

import (
	"context"
	"database/sql"
	"fmt"
	"github.com/docflow/docflow/keyring"
	"time"

	"github.com/docflow/docflow/config"
	"github.com/docflow/docflow/extractors/classify"
	"github.com/docflow/docflow/extractors/crosscheck"
	"github.com/docflow/docflow/extractors/llm"
	"github.com/docflow/docflow/extractors/reader"
	"github.com/docflow/docflow/extractors/rules"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/validate"
	"github.com/docflow/docflow/queue"
	"github.com/docflow/docflow/similarity"
	"github.com/docflow/docflow/storage/mariadb"
	"github.com/docflow/docflow/storage/postgres"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
)

// newAnalyzer wires the read, classify, extract and validate stages: the
// offline rules extractor, cross-checked with a model when one is configured.
func newAnalyzer(cfg config.Config, cache llm.Cache, examples llm.ExampleSource) (pipeline.Analyzer, error) {
	backend, err := newBackend(cfg)
	if err != nil || backend == nil {
		return rulesAnalyzer(cfg), err
	}
	return modelAnalyzer(cfg, backend, cache, examples, crosscheck.Mode(cfg.LLM.Mode)), nil
}

// rulesAnalyzer reads with the offline rules extractor alone.
func rulesAnalyzer(cfg config.Config) pipeline.Analyzer {
	return pipeline.Analyzer{
		Reader:     reader.New(reader.Config{MaxBytes: cfg.MaxUploadBytes}),
		Classifier: classify.New(),
		Extractor:  rules.New(),
		Validator:  validate.New(validate.DefaultConfig()),
	}
}

// newBackend returns the configured model provider, or nil when none is.
func newBackend(cfg config.Config) (llm.Backend, error) {
	if !cfg.LLM.Enabled() {
		return nil, nil
	}
	if cfg.LLM.Provider == "anthropic" {
		return llm.NewAnthropic(llm.AnthropicConfig{BaseURL: cfg.LLM.BaseURL, APIKey: cfg.LLM.APIKey,
			Model: cfg.LLM.Model, Timeout: cfg.LLM.Timeout})
	}
	return llm.NewOpenAI(llm.OpenAIConfig{BaseURL: cfg.LLM.BaseURL, APIKey: cfg.LLM.APIKey,
		Timeout: cfg.LLM.Timeout, JSONMode: cfg.LLM.JSONMode}), nil
}

// modelExtractor is the model's extractor on backend.
func modelExtractor(cfg config.Config, backend llm.Backend, cache llm.Cache, examples llm.ExampleSource) *llm.Extractor {
	model := &llm.Extractor{Model: cfg.LLM.Model, Cache: cache, Examples: examples, Backend: backend,
		InputPrice: cfg.LLM.InputPrice, OutputPrice: cfg.LLM.OutputPrice}
	if cfg.LLM.Vision != "off" && cfg.LLM.Vision != "" {
		model.Vision, model.MaxImages = llm.Vision(cfg.LLM.Vision), cfg.LLM.VisionPages
	}
	return model
}

// modelAnalyzer reads with the rules cross-checked with the model on
// backend, asked as mode says.
func modelAnalyzer(cfg config.Config, backend llm.Backend, cache llm.Cache, examples llm.ExampleSource, mode crosscheck.Mode) pipeline.Analyzer {
	an := rulesAnalyzer(cfg)
	model := modelExtractor(cfg, backend, cache, examples)
	if model.Vision != "" {
		an.Reader = reader.New(reader.Config{MaxBytes: cfg.MaxUploadBytes, PageImages: cfg.LLM.VisionPages})
	}
	maxWait := cfg.LLM.MaxWait
	if maxWait == 0 {
		maxWait = -1 // DOCFLOW_LLM_MAX_WAIT=0: fall back to the rules at once
	}
	an.Extractor = &crosscheck.Extractor{Rules: rules.New(), Mode: mode, LLM: model, MaxWait: maxWait,
		Breaker: &crosscheck.Breaker{Threshold: 5, Cooldown: 30 * time.Second, Name: cfg.LLM.Provider + "/" + cfg.LLM.Model}}
	return an
}

// app is docflow with its connections open.
type app struct {
	pool    *pgxpool.Pool
	mdb     *sql.DB
	store   *postgres.Store
	svc     *pipeline.Service
	river   *river.Client[pgx.Tx]
	closers []func()
}

func (a *app) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// openApp connects to both databases and wires the service. workers is
// how many jobs this process runs; 0 makes it insert-only.
func openApp(ctx context.Context, cfg config.Config, workers int) (*app, error) {
	a := &app{}
	pool, err := postgres.Open(ctx, cfg.PostgresURL)
	if err != nil {
		return nil, err
	}
	a.pool = pool
	a.closers = append(a.closers, pool.Close)
	mdb, err := mariadb.Open(ctx, cfg.MariaDBDSN)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.mdb = mdb
	a.closers = append(a.closers, func() { mdb.Close() })
	keys, err := loadKeyring(cfg)
	if err != nil {
		a.Close()
		return nil, err
	}
	sealed, err := openFiles(cfg, pool, keys)
	if err != nil {
		a.Close()
		return nil, err
	}
	index := &similarity.Index{Embedder: similarity.Hashing{}, Store: postgres.NewEmbeddings(pool)}
	if cfg.LLM.BaseURL != "" && cfg.LLM.EmbeddingsModel != "" {
		index.Embedder = similarity.NewOpenAI(cfg.LLM.BaseURL, cfg.LLM.APIKey, cfg.LLM.EmbeddingsModel)
	}
	analyzer, err := newAnalyzer(cfg, postgres.NewLLMCache(pool), index)
	if err != nil {
		a.Close()
		return nil, err
	}
	if cc, ok := analyzer.Extractor.(*crosscheck.Extractor); ok && cc.Breaker != nil {
		// Every process of the deployment shares the provider's breaker.
		cc.Breaker.State = postgres.NewBreakerState(pool)
	}
	analyzer.Classifier = &similarity.Classifier{Base: analyzer.Classifier, Index: index}
	a.svc = &pipeline.Service{
		Records:        mariadb.New(mdb),
		Files:          sealed,
		Analyzer:       analyzer,
		Policy:         pipeline.Policy{AutoCommitWarnings: cfg.AutoCommitWarnings},
		Check:          analyzer.Reader.(*reader.Reader).Check,
		MaxUploadBytes: cfg.MaxUploadBytes,
		Similarity:     index,
	}
	qcfg := queue.Config{Workers: workers, RescueAfter: cfg.RescueAfter, Outage: queue.OutagePolicy{MaxAge: cfg.OutageMaxAge}}
	inserter := queue.Inserter{}
	if cfg.LLM.Enabled() {
		inserter.ProcessQueue = queue.QueueLLM
		if workers > 0 {
			qcfg.LLMWorkers = cfg.LLM.Concurrency
		}
	}
	a.river, err = queue.NewClient(pool, a.svc, qcfg)
	if err != nil {
		a.Close()
		return nil, err
	}
	inserter.Client = a.river
	a.store = postgres.New(pool, inserter)
	a.store.SetKeyring(keys)
	a.svc.Store = a.store
	return a, nil
}

// loadKeyring reads the master key (and the older keys of a rotation).
func loadKeyring(cfg config.Config) (*keyring.Keyring, error) {
	var current []byte
	var err error
	if cfg.MasterKey != "" {
		current, err = keyring.ParseKey(cfg.MasterKey)
	} else {
		current, err = keyring.LoadOrCreateFile(cfg.MasterKeyFile)
	}
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	var older [][]byte
	for _, s := range cfg.OldMasterKeys {
		k, err := keyring.ParseKey(s)
		if err != nil {
			return nil, fmt.Errorf("DOCFLOW_OLD_MASTER_KEYS: %w", err)
		}
		older = append(older, k)
	}
	return keyring.New(current, older...)
}

// migrateAll applies the PostgreSQL (River's included) and MariaDB migrations.
func migrateAll(ctx context.Context, cfg config.Config) error {
	pool, err := postgres.Open(ctx, cfg.PostgresURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := postgres.Migrate(ctx, pool); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	mdb, err := mariadb.Open(ctx, cfg.MariaDBDSN)
	if err != nil {
		return err
	}
	defer mdb.Close()
	if err := mariadb.Migrate(ctx, mdb); err != nil {
		return fmt.Errorf("mariadb: %w", err)
	}
	return nil
}
