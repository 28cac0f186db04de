//go:build chaos

package chaos

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docflow/docflow/cmd/docflow/proctest"
	"github.com/docflow/docflow/keyring"
	"github.com/docflow/docflow/pipeline/testdocs"
	"github.com/docflow/docflow/storage/dbtest"
	_ "github.com/go-sql-driver/mysql" // the MariaDB driver
	"github.com/jackc/pgx/v5/pgxpool"
)

// cluster is one docflow deployment of real processes on its own
// databases: an API process, worker processes, and the test's own
// connections to read what the databases hold.
type cluster struct {
	t       *testing.T
	env     map[string]string
	key     []byte
	pg      *pgxpool.Pool
	mdb     *sql.DB
	tenant  string
	apiKey  string
	apiURL  string
	api     *proctest.Proc
	mu      sync.Mutex
	workers []*proctest.Proc
	all     []*proctest.Proc
	killed  map[*proctest.Proc]bool // by the scenario (kill), not ended by themselves
	started time.Time
	events  []string
}

// clusterOptions chooses the databases and settings of a cluster; empty
// URLs mean fresh databases on the shared servers (storage/dbtest).
type clusterOptions struct {
	postgresURL string
	mariadbDSN  string
	settings    map[string]string
}

// newCluster migrates the databases and makes a tenant and an uploader key;
// at the end of the test it prints the processes' logs if the test failed
// (dumpLogs) and then stops them (stopAll).
func newCluster(t *testing.T, o clusterOptions) *cluster {
	t.Helper()
	if o.postgresURL == "" {
		o.postgresURL = dbtest.PostgresURL(t)
	}
	if o.mariadbDSN == "" {
		o.mariadbDSN = dbtest.MariaDBDSN(t)
	}
	proctest.Binary(t) // built before the run's clock starts
	key := make([]byte, keyring.KeySize)
	rand.Read(key)
	c := &cluster{t: t, key: key, started: time.Now(), killed: map[*proctest.Proc]bool{}, env: map[string]string{
		"DOCFLOW_POSTGRES_URL": o.postgresURL, "DOCFLOW_MARIADB_DSN": o.mariadbDSN,
		"DOCFLOW_DATA_DIR": filepath.Join(t.TempDir(), "data"), "DOCFLOW_MASTER_KEY": base64.StdEncoding.EncodeToString(key),
		"DOCFLOW_WORKERS": "4", "DOCFLOW_RESCUE_AFTER": "5s", "DOCFLOW_SHUTDOWN_TIMEOUT": "5s",
		"DOCFLOW_RATE_PER_KEY": "0", "DOCFLOW_RATE_PER_TENANT": "0",
	}}
	for k, v := range o.settings {
		c.env[k] = v
	}
	c.cli("migrate")
	var tn struct{ ID string }
	c.cliJSON(&tn, "tenant", "create", "Agence Chaos", "--json")
	var k struct{ Key string }
	c.cliJSON(&k, "apikey", "create", "--tenant", tn.ID, "--role", "uploader", "--json")
	c.tenant, c.apiKey = tn.ID, k.Key
	var err error
	if c.pg, err = pgxpool.New(context.Background(), o.postgresURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.pg.Close)
	if c.mdb, err = sql.Open("mysql", o.mariadbDSN); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.mdb.Close() })
	t.Cleanup(c.stopAll)
	t.Cleanup(c.dumpLogs)
	return c
}

// note records a timed event of the run for the report.
func (c *cluster) note(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	line := fmt.Sprintf("%7.1fs  %s", time.Since(c.started).Seconds(), fmt.Sprintf(format, args...))
	c.events = append(c.events, line)
	c.t.Log(line)
}

func (c *cluster) cli(args ...string) []byte {
	c.t.Helper()
	return proctest.Run(c.t, proctest.Environ(c.env), args...)
}

func (c *cluster) cliJSON(v any, args ...string) {
	c.t.Helper()
	out := c.cli(args...)
	if err := json.Unmarshal(out, v); err != nil {
		c.t.Fatalf("docflow %v: %v\n%s", args, err, out)
	}
}

// start starts docflow with args and extra settings (KEY=value); stopAll
// stops it at the end of the test.
func (c *cluster) start(name string, extra []string, args ...string) *proctest.Proc {
	c.t.Helper()
	p := proctest.Start(c.t, name, proctest.Environ(c.env, extra...), args...)
	c.mu.Lock()
	c.all = append(c.all, p)
	c.mu.Unlock()
	return p
}

// startAPI starts `serve --api-only` and waits for /healthz.
func (c *cluster) startAPI() {
	c.t.Helper()
	addr := proctest.Addr(c.t)
	c.api = c.start("api", []string{"DOCFLOW_ADDR=" + addr}, "serve", "--api-only")
	c.apiURL = "http://" + addr
	if err := c.api.WaitHTTP(c.apiURL+"/healthz", 60*time.Second); err != nil {
		c.t.Fatalf("the API process did not start: %v\n%s", err, c.api.Logs())
	}
	c.note("API process started (pid %d)", c.api.Pid())
}

// startWorker starts one `serve --workers-only`.
func (c *cluster) startWorker() *proctest.Proc {
	c.t.Helper()
	c.mu.Lock()
	n := len(c.all)
	c.mu.Unlock()
	p := c.start(fmt.Sprintf("worker-%d", n), []string{"DOCFLOW_ADDR=127.0.0.1:0"}, "serve", "--workers-only")
	c.mu.Lock()
	c.workers = append(c.workers, p)
	c.mu.Unlock()
	return p
}

// liveWorkers are the worker processes not yet ended.
func (c *cluster) liveWorkers() []*proctest.Proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	var live []*proctest.Proc
	for _, p := range c.workers {
		if !p.Exited() {
			live = append(live, p)
		}
	}
	return live
}

// kill kills p (SIGKILL), waits for its end and counts it as killed, not
// crashed.
func (c *cluster) kill(p *proctest.Proc) {
	p.Kill()
	c.mu.Lock()
	c.killed[p] = true
	c.mu.Unlock()
}

// stopAll ends every process: SIGTERM, then SIGKILL after 20 s.
func (c *cluster) stopAll() {
	c.mu.Lock()
	all := append([]*proctest.Proc(nil), c.all...)
	c.mu.Unlock()
	for _, p := range all {
		if !p.Exited() {
			p.Signal(syscall.SIGTERM)
		}
	}
	for _, p := range all {
		if !p.Wait(20 * time.Second) {
			p.Kill()
		}
	}
}

// crashes lists processes that ended by themselves (not killed by the
// scenario), with the tail of their logs.
func (c *cluster) crashes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, p := range c.all {
		if p.Exited() && !c.killed[p] {
			out = append(out, fmt.Sprintf("%s ended by itself: %v\n%s", p.Name, p.Err(), tail(p.Logs(), 3000)))
		}
	}
	return out
}

// logLines counts the lines of every process's logs holding s.
func (c *cluster) logLines(s string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, p := range c.all {
		n += strings.Count(p.Logs(), s)
	}
	return n
}

// dumpLogs prints the tail of every process's logs when the test failed.
func (c *cluster) dumpLogs() {
	if !c.t.Failed() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.all {
		c.t.Logf("--- %s logs (tail):\n%s", p.Name, tail(p.Logs(), 6000))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// doc is one document the suite sends.
type doc struct {
	Name   string
	Kind   string // contract or timesheet
	Number string // the contract number it carries
	Data   []byte
}

// makeDoc returns the i-th document of a run: mostly contracts, and every
// fifth a timesheet billing against the contract before it.
func makeDoc(i int) doc {
	if i%5 == 4 {
		n := fmt.Sprintf("CM-2026-%06d", 800000+i-1)
		return doc{Name: fmt.Sprintf("releve-%d.pdf", i), Kind: "timesheet", Number: n,
			Data: testdocs.PDF(testdocs.Timesheet(testdocs.ValidTimesheet(n)))}
	}
	n := fmt.Sprintf("CM-2026-%06d", 800000+i)
	return doc{Name: fmt.Sprintf("contrat-%d.pdf", i), Kind: "contract", Number: n,
		Data: testdocs.PDF(testdocs.Contract(testdocs.ValidContract(n)))}
}

// sender uploads documents over HTTP and keeps what it sent and what the
// API answered.
type sender struct {
	c        *cluster
	client   *http.Client
	retry    bool // retry 5xx and connection errors until accepted
	makeDoc  func(int) doc
	mu       sync.Mutex
	sent     int
	accepted map[string]doc // by document id
	refused  []doc          // never accepted
	statuses map[int]int    // answers by HTTP status (0: no answer)
	problems map[string]int // problem codes of the 4xx/5xx answers
}

func (c *cluster) sender(retry bool) *sender {
	return &sender{c: c, retry: retry, makeDoc: makeDoc, client: &http.Client{Timeout: 30 * time.Second},
		accepted: map[string]doc{}, statuses: map[int]int{}, problems: map[string]int{}}
}

// post sends one upload and returns the status (0 when none came back),
// the document id and the problem code.
func (s *sender) post(ctx context.Context, d doc) (int, string, string) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", d.Name)
	fw.Write(d.Data)
	mw.Close()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.c.apiURL+"/v1/documents", &body)
	req.Header.Set("Authorization", "Bearer "+s.c.apiKey)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := s.client.Do(req)
	if err != nil {
		return 0, "", err.Error()
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out struct{ ID, Code, Detail string }
	_ = json.Unmarshal(raw, &out)
	if res.StatusCode >= 400 && out.Code == "" {
		out.Code = strings.TrimSpace(tail(string(raw), 200))
	}
	return res.StatusCode, out.ID, out.Code
}

// upload sends d, again after 5xx answers and connection errors when the
// sender retries, until accepted, refused with a 4xx, or ctx ends.
func (s *sender) upload(ctx context.Context, d doc) (status int, code string) {
	s.mu.Lock()
	s.sent++
	s.mu.Unlock()
	for {
		status, id, code := s.post(ctx, d)
		s.mu.Lock()
		s.statuses[status]++
		if status >= 400 || status == 0 {
			key := code
			if status == 0 {
				key = "no answer"
			}
			s.problems[fmt.Sprintf("%d %s", status, firstLine(key))]++
		}
		if status == http.StatusAccepted || status == http.StatusOK {
			s.accepted[id] = d
		}
		s.mu.Unlock()
		if status == http.StatusAccepted || status == http.StatusOK || (status >= 400 && status < 500) || !s.retry || ctx.Err() != nil {
			if status != http.StatusAccepted && status != http.StatusOK {
				s.mu.Lock()
				s.refused = append(s.refused, d)
				s.mu.Unlock()
			}
			return status, code
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

// uploadAll sends docs from..to with conc uploads at once, spread over
// pace (0: as fast as the API takes them).
func (s *sender) uploadAll(ctx context.Context, from, to, conc int, pace time.Duration) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				s.upload(ctx, s.makeDoc(i))
			}
		}()
	}
	start := time.Now()
	for i := from; i < to && ctx.Err() == nil; i++ {
		if pace > 0 {
			due := start.Add(time.Duration(int64(pace) * int64(i-from) / int64(to-from)))
			time.Sleep(time.Until(due))
		}
		next <- i
	}
	close(next)
	wg.Wait()
}

func (s *sender) acceptedIDs() map[string]doc {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]doc, len(s.accepted))
	for k, v := range s.accepted {
		out[k] = v
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
