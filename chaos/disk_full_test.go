//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// TestChaosDiskFull puts the file store on a 2 MB tmpfs, fills it, and
// uploads: uploads are refused with a 5xx problem (the API process lives
// on), nothing half-written is kept, and once space is freed the same
// uploads succeed.
func TestChaosDiskFull(t *testing.T) {
	n := min(docCount(t), 100)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c := newCluster(t, clusterOptions{})
	files := filepath.Join(c.env["DOCFLOW_DATA_DIR"], "files")
	if err := os.MkdirAll(files, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", files).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs for the file store (needs root and mount rights): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", files).Run() })
	c.note("file store on a 2 MB tmpfs at %s", files)
	c.startAPI()
	c.startWorker()
	// Fill the store but for about 40 KB: a dozen documents still fit.
	filler := filepath.Join(files, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			break
		}
	}
	f.Close()
	st, _ := os.Stat(filler)
	_ = os.Truncate(filler, st.Size()-40*1024)
	c.note("store filled (%d bytes of filler, 40 KB left)", st.Size()-40*1024)

	s := c.sender(false)
	firstRefusal := -1
	refusedStatus := map[int]int{}
	for i := range n {
		status, code := s.upload(ctx, makeDoc(i))
		if status != http.StatusAccepted {
			refusedStatus[status]++
			if firstRefusal < 0 {
				firstRefusal = i
				c.note("first refused upload: #%d answered %d %s", i, status, code)
			}
		}
	}
	apiAlive := !c.api.Exited()
	if res, err := http.Get(c.apiURL + "/healthz"); err != nil || res.StatusCode != http.StatusOK {
		apiAlive = false
	}
	c.note("%d uploads on a full store: %d accepted, refusals by status %v; API alive: %v", n, len(s.acceptedIDs()), refusedStatus, apiAlive)
	// No partial file is left beside the stored ones.
	stored := regexp.MustCompile(`^[0-9a-f]{64}$`)
	var partial []string
	_ = filepath.Walk(files, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && p != filler && !stored.MatchString(info.Name()) {
			partial = append(partial, p)
		}
		return nil
	})
	var rowsWithoutFile int
	_ = c.pg.QueryRow(ctx, `SELECT count(*) FROM documents WHERE tenant_id = $1 AND status NOT IN ('refused')`, c.tenant).Scan(&rowsWithoutFile)
	rowsWithoutFile -= len(s.acceptedIDs())

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	c.note("filler removed: space freed")
	s.mu.Lock()
	retry := append([]doc(nil), s.refused...)
	s.refused = nil
	s.mu.Unlock()
	afterFailures := 0
	for _, d := range retry {
		if status, code := s.upload(ctx, d); status != http.StatusAccepted && status != http.StatusOK {
			afterFailures++
			t.Errorf("after freeing space, %s answered %d %s", d.Name, status, code)
		}
	}
	c.note("the %d refused uploads sent again: %d failed", len(retry), afterFailures)
	c.settleWithin(ctx, 5*time.Minute)
	r := &report{Scenario: "TestChaosDiskFull", Title: "the file store's disk full",
		Promise: "uploads to a full store are refused with a clear problem (507 storage_full), the API process lives on, nothing half-written is stored or committed, and once space is freed the same uploads succeed.",
		Params: [][2]string{{"documents", fmt.Sprintf("%d, one at a time (every fifth a timesheet)", n)},
			{"file store", "DOCFLOW_DATA_DIR/files on a 2 MB tmpfs, filled but for 40 KB"},
			{"processes", "1 `serve --api-only`, 1 `serve --workers-only`"},
			{"time bound", "10 min"}},
		Measures: [][2]string{{"first refused upload", strconv.Itoa(firstRefusal)},
			{"refusals while full, by HTTP status", fmt.Sprint(refusedStatus)},
			{"API process alive while full", strconv.FormatBool(apiAlive)},
			{"partial files left in the store", fmt.Sprint(len(partial), " ", first(partial, 5))},
			{"document rows (not refused) without an accepted upload", strconv.Itoa(rowsWithoutFile)},
			{"refused uploads that failed again after freeing space", strconv.Itoa(afterFailures)}},
	}
	if firstRefusal < 0 {
		t.Error("no upload was refused: the store never filled")
	}
	for status := range refusedStatus {
		if status != http.StatusInsufficientStorage {
			t.Errorf("a full store answered %d, want 507 storage_full", status)
		}
	}
	if !apiAlive {
		t.Error("the API process died or stopped answering on a full disk")
	}
	if len(partial) > 0 || rowsWithoutFile != 0 {
		t.Errorf("half-written state: %d partial files %v, %d rows without an accepted upload", len(partial), partial, rowsWithoutFile)
	}
	c.finish(ctx, "disk-full", r, s)
}
