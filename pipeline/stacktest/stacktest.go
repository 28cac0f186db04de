// Package stacktest starts docflow's whole processing stack for tests, wired
// as cmd/docflow wires it: fresh PostgreSQL and MariaDB databases
// (storage/dbtest), the file store, the offline analyzer, River workers and
// the stores. Tests of the API, the review desk and the mail intake share
// it, so that they exercise one wiring.
package stacktest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"github.com/docflow/docflow/keyring"
	"path/filepath"
	"testing"
	"time"

	"github.com/docflow/docflow/extractors/classify"
	"github.com/docflow/docflow/extractors/crosscheck"
	"github.com/docflow/docflow/extractors/llm"
	"github.com/docflow/docflow/extractors/reader"
	"github.com/docflow/docflow/extractors/rules"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/validate"
	"github.com/docflow/docflow/queue"
	"github.com/docflow/docflow/similarity"
	"github.com/docflow/docflow/storage/dbtest"
	"github.com/docflow/docflow/storage/filecrypt"
	"github.com/docflow/docflow/storage/files"
	"github.com/docflow/docflow/storage/mariadb"
	"github.com/docflow/docflow/storage/postgres"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
)

// Options vary the stack.
type Options struct {
	// Records and Files wrap the real stores, to inject faults.
	Records func(pipeline.Records) pipeline.Records
	Files   func(pipeline.Files) pipeline.Files
	// Extractor replaces the rules extractor (e.g. cross-checked with a model).
	Extractor pipeline.Extractor
	// LLMQueue runs the process stage in its own queue, as with a model.
	LLMQueue bool
	// Similarity indexes documents with the local embedder (and gives a
	// cross-checking extractor's model its examples).
	Similarity bool
	// NoWorkers leaves the River client unstarted (StartWorkers starts it).
	NoWorkers bool
	// Pool and MariaDB, when set, are migrated databases to use instead of
	// fresh ones on the shared servers (e.g. on a private server of
	// storage/pgtest or storage/mariadbtest that the test stops).
	Pool    *pgxpool.Pool
	MariaDB *sql.DB
	// Outage is how jobs wait out an outage (zero: queue's defaults).
	Outage queue.OutagePolicy
}

// Stack is a running docflow without its HTTP front.
type Stack struct {
	Pool    *pgxpool.Pool
	MariaDB *sql.DB
	Records *mariadb.Records
	Store   *postgres.Store
	// Keyring seals the store's secrets and wraps the data keys of the
	// files (a random master key).
	Keyring *keyring.Keyring
	// Files seals the stored files, as in production.
	Files   *filecrypt.Store
	Service *pipeline.Service
	River   *river.Client[pgx.Tx]
	DataDir string
	t       testing.TB
}

// New starts a stack; everything stops at the test's end.
func New(t testing.TB, o Options) *Stack {
	t.Helper()
	s := &Stack{t: t, Pool: o.Pool, MariaDB: o.MariaDB, DataDir: t.TempDir()}
	if s.Pool == nil {
		s.Pool = dbtest.Postgres(t)
	}
	if s.MariaDB == nil {
		s.MariaDB = dbtest.MariaDB(t)
	}
	s.Records = mariadb.New(s.MariaDB)
	disk, err := files.NewDisk(filepath.Join(s.DataDir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	master := make([]byte, keyring.KeySize)
	if _, err := rand.Read(master); err != nil {
		t.Fatal(err)
	}
	if s.Keyring, err = keyring.New(master); err != nil {
		t.Fatal(err)
	}
	s.Files = filecrypt.New(disk, filecrypt.NewKeys(postgres.NewDataKeys(s.Pool), s.Keyring))
	var recs pipeline.Records = s.Records
	if o.Records != nil {
		recs = o.Records(recs)
	}
	var fs pipeline.Files = s.Files
	if o.Files != nil {
		fs = o.Files(fs)
	}
	var ex pipeline.Extractor = rules.New()
	if o.Extractor != nil {
		ex = o.Extractor
	}
	var sim pipeline.Similarity
	if o.Similarity {
		index := &similarity.Index{Embedder: similarity.Hashing{}, Store: postgres.NewEmbeddings(s.Pool)}
		sim = index
		if cc, ok := ex.(*crosscheck.Extractor); ok {
			if le, ok := cc.LLM.(*llm.Extractor); ok {
				le.Examples = index
			}
		}
	}
	rd := reader.New(reader.Config{})
	s.Service = &pipeline.Service{
		Records: recs, Files: fs, Check: rd.Check, MaxUploadBytes: 1 << 20, Similarity: sim,
		Analyzer: pipeline.Analyzer{Reader: rd, Classifier: classify.New(), Extractor: ex,
			Validator: validate.New(validate.DefaultConfig())},
	}
	qcfg := queue.Config{Workers: 4, JobTimeout: 30 * time.Second, RescueAfter: 30 * time.Second, FetchPoll: 100 * time.Millisecond, Outage: o.Outage}
	inserter := queue.Inserter{}
	if o.LLMQueue {
		qcfg.LLMWorkers, inserter.ProcessQueue = 2, queue.QueueLLM
	}
	if s.River, err = queue.NewClient(s.Pool, s.Service, qcfg); err != nil {
		t.Fatal(err)
	}
	inserter.Client = s.River
	s.Store = postgres.New(s.Pool, inserter)
	s.Store.SetKeyring(s.Keyring)
	s.Service.Store = s.Store
	if !o.NoWorkers {
		s.StartWorkers()
	}
	return s
}

// StartWorkers starts the River workers; they stop at the test's end.
func (s *Stack) StartWorkers() {
	s.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.River.Start(ctx); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() {
		stopCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		_ = s.River.Stop(stopCtx)
		cancel()
	})
}
