package api_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/docflow/docflow/cmd/docflow/proctest"
	"github.com/docflow/docflow/keyring"
	"github.com/docflow/docflow/pipeline/testdocs"
	"github.com/docflow/docflow/storage/dbtest"
)

// BenchmarkUploadLatency is a load generator, separate from what it
// loads: the real docflow binary serves (docflow serve: the API and 4
// workers, on fresh databases, no rate limit: DOCFLOW_RATE_PER_KEY=0 and
// DOCFLOW_RATE_PER_TENANT=0), and c clients of this process (goroutines
// with their own connections, over real HTTP) upload distinct one-page
// contract PDFs while its workers process them. It reports the upload
// latency (p50, p99) and the uploads per second, and as the anchor the
// same clients' GET /healthz latency at the same concurrency, measured in
// the same run.
func BenchmarkUploadLatency(b *testing.B) {
	url, key := servedAPI(b)
	for _, c := range []int{10, 50, 200} {
		b.Run(fmt.Sprintf("clients=%d", c), func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c, MaxConnsPerHost: c}, Timeout: 2 * time.Minute}
			bodies := make([][]byte, b.N)
			types := make([]string, b.N)
			for i := range bodies {
				bodies[i], types[i] = multipartPDF(fmt.Sprintf("CM-LOAD-%d-%06d-%d", c, i, time.Now().UnixNano()))
			}
			b.ResetTimer()
			lat, elapsed := loadRun(b, client, c, b.N, func(i int) *http.Request {
				req, _ := http.NewRequest(http.MethodPost, url+"/v1/documents", bytes.NewReader(bodies[i]))
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", types[i])
				return req
			}, http.StatusAccepted, http.StatusCreated, http.StatusOK)
			b.StopTimer()
			anchor, anchorElapsed := loadRun(b, client, c, max(b.N, 10*c), func(int) *http.Request {
				req, _ := http.NewRequest(http.MethodGet, url+"/healthz", nil)
				return req
			}, http.StatusOK)
			b.ReportMetric(percentileMS(lat, 0.50), "p50-ms")
			b.ReportMetric(percentileMS(lat, 0.99), "p99-ms")
			b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "uploads/s")
			b.ReportMetric(percentileMS(anchor, 0.50), "healthz-p50-ms")
			b.ReportMetric(percentileMS(anchor, 0.99), "healthz-p99-ms")
			b.ReportMetric(float64(len(anchor))/anchorElapsed.Seconds(), "healthz/s")
		})
	}
}

// servedAPI runs docflow serve on fresh databases, with one tenant, and
// returns its URL and an uploader's API key; the server stops at the end.
func servedAPI(b *testing.B) (url, key string) {
	b.Helper()
	master := make([]byte, keyring.KeySize)
	rand.Read(master)
	addr := proctest.Addr(b)
	env := proctest.Environ(map[string]string{
		"DOCFLOW_POSTGRES_URL": dbtest.PostgresURL(b), "DOCFLOW_MARIADB_DSN": dbtest.MariaDBDSN(b),
		"DOCFLOW_DATA_DIR": filepath.Join(b.TempDir(), "data"), "DOCFLOW_MASTER_KEY": base64.StdEncoding.EncodeToString(master),
		"DOCFLOW_ADDR": addr, "DOCFLOW_WORKERS": "4", "DOCFLOW_RATE_PER_KEY": "0", "DOCFLOW_RATE_PER_TENANT": "0",
	})
	proctest.Run(b, env, "migrate")
	var tn struct{ ID string }
	if err := json.Unmarshal(proctest.Run(b, env, "tenant", "create", "Load", "--json"), &tn); err != nil {
		b.Fatal(err)
	}
	var k struct{ Key string }
	if err := json.Unmarshal(proctest.Run(b, env, "apikey", "create", "--tenant", tn.ID, "--role", "uploader", "--json"), &k); err != nil {
		b.Fatal(err)
	}
	p := proctest.Start(b, "serve", env, "serve")
	b.Cleanup(func() {
		if !p.Stop(syscall.SIGTERM, 30*time.Second) {
			b.Logf("docflow serve did not stop on SIGTERM:\n%s", p.Logs())
		}
	})
	url = "http://" + addr
	if err := p.WaitHTTP(url+"/readyz", time.Minute); err != nil {
		b.Fatalf("docflow serve: %v\n%s", err, p.Logs())
	}
	return url, k.Key
}

// loadRun sends n requests from c concurrent clients and returns each
// request's latency and the time the whole run took.
func loadRun(b *testing.B, client *http.Client, c, n int, newReq func(int) *http.Request, ok ...int) ([]time.Duration, time.Duration) {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				resp, err := client.Do(newReq(i))
				if err != nil {
					b.Error(err)
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				lat[i] = time.Since(t0)
				if !slices.Contains(ok, resp.StatusCode) {
					b.Errorf("status %d: %s", resp.StatusCode, body)
					return
				}
			}
		}()
	}
	wg.Wait()
	return lat, time.Since(start)
}

func percentileMS(d []time.Duration, p float64) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return float64(s[min(len(s)-1, int(p*float64(len(s))))].Microseconds()) / 1000
}

// multipartPDF is an upload body: a one-page contract PDF of this number.
func multipartPDF(number string) ([]byte, string) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", number+".pdf")
	fw.Write(testdocs.PDF(testdocs.Contract(testdocs.ValidContract(number))))
	mw.Close()
	return body.Bytes(), mw.FormDataContentType()
}
