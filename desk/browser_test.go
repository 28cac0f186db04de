package desk_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/docflow/docflow/account"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
)

// One headless Chromium serves every browser test of the package; each
// test (and each person in it) gets its own browser context, with its own
// cookies.
var (
	browserOnce   sync.Once
	browserCtx    context.Context
	browserCancel context.CancelFunc
	browserErr    error
)

// chromiumPath is Debian's chromium, or DOCFLOW_TEST_CHROMIUM.
func chromiumPath() string {
	if p := os.Getenv("DOCFLOW_TEST_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browserCancel != nil {
		browserCancel()
	}
	os.Exit(code)
}

func startBrowser() {
	path := chromiumPath()
	if _, err := os.Stat(path); err != nil {
		browserErr = fmt.Errorf("no Chromium at %s (apt-get install chromium, or set DOCFLOW_TEST_CHROMIUM): %w", path, err)
		return
	}
	dir, err := os.MkdirTemp("", "docflow-chromium-")
	if err != nil {
		browserErr = err
		return
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "en-US"), chromedp.UserDataDir(dir), chromedp.WindowSize(1440, 1000))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	browserCtx = ctx
	browserCancel = func() {
		cancelCtx()
		cancelAlloc()
		os.RemoveAll(dir)
	}
	browserErr = chromedp.Do(ctx) // starts the browser
}

// newPerson opens a browser context of its own (cookies apart), for at
// most two minutes. Without Chromium the test skips, or fails when
// DOCFLOW_TEST_REQUIRE_DB is set.
func newPerson(t *testing.T) context.Context {
	t.Helper()
	browserOnce.Do(startBrowser)
	if browserErr != nil {
		if os.Getenv("DOCFLOW_TEST_REQUIRE_DB") != "" {
			t.Fatalf("Chromium is required (DOCFLOW_TEST_REQUIRE_DB is set): %v", browserErr)
		}
		t.Skipf("Chromium not available, skipping: %v", browserErr)
	}
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancelTimeout)
	return ctx
}

// do runs browser steps or fails the test with what it was doing.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("browser: %s: %v", what, err)
	}
}

func run[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browser: %s: %v", what, err)
	}
	return v
}

// signInBrowser signs u in through the form and waits for sel.
func signInBrowser(t *testing.T, ctx context.Context, e *env, u account.User, sel string) {
	t.Helper()
	do(t, ctx, "sign in as "+u.Name,
		chromedp.Navigate(e.server.URL+"/desk/signin"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), u.Email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("signin")))
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(waitCtx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		where, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText`))
		t.Fatalf("browser: after signing in as %s, no %s: %v\n%s", u.Name, sel, err, where)
	}
}

// postStatus posts to a desk URL from the page, with the page's CSRF
// token, as a script would, and returns the HTTP status.
func postStatus(t *testing.T, ctx context.Context, path string) int {
	t.Helper()
	js := fmt.Sprintf(`fetch(%q, {method: "POST", credentials: "same-origin", headers: {"Accept": "application/json",
		"X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content}}).then(r => r.status)`, path)
	return run(t, ctx, "POST "+path, chromedp.Evaluate[int](js, chromedp.EvalAwaitPromise))
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png := run(t, ctx, "screenshot", chromedp.FullScreenshot(100))
	path := filepath.Join(os.TempDir(), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// TestReviewInBrowser is a reviewer's common path in a real browser: sign
// in, open the queue, claim with the keyboard, see the highlighted source,
// correct the rate, approve; the system of record and the audit log hold
// the correction. A second reviewer cannot take the task, and an uploader
// cannot approve it.
func TestReviewInBrowser(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tn := e.tenant("Intérim Plus Lyon")
	rita := e.user(tn.id, pipeline.RoleReviewer, "Rita Relue")
	remi := e.user(tn.id, pipeline.RoleReviewer, "Rémi Second")
	ugo := e.user(tn.id, pipeline.RoleUploader, "Ugo Dépôt")
	const number = "CM-2026-000777"
	docID := e.uploadAPI(tn.uploaderKey, "contrat-777.pdf", contractWithLowRate(number))
	task := e.waitReview(tn.id, docID)
	taskURL := "/desk/tasks/" + task.ID

	ctx := newPerson(t)
	signInBrowser(t, ctx, e, rita, "#queue")
	row := fmt.Sprintf(`tr.task-row[data-task=%q]`, task.ID)
	reasons := run(t, ctx, "queue row", chromedp.Text(chromedp.CSS(row)))
	if !strings.Contains(reasons, "Rate below minimum") || !strings.Contains(reasons, "contrat-777.pdf") {
		t.Errorf("queue row = %q", reasons)
	}
	do(t, ctx, "open the task and claim it with c",
		chromedp.Click(chromedp.CSS(row+" a.open-task")),
		chromedp.WaitVisible(chromedp.ID("claim")),
		chromedp.KeyEvent("c"),
		chromedp.WaitVisible(chromedp.ID("claimed-by-me")),
		chromedp.WaitVisible(chromedp.CSS(`figure.page img.page-image`)))
	// The source of the rate is boxed over the page image, placed by the script.
	box := run(t, ctx, "highlight", chromedp.Evaluate[map[string]float64](`(async () => {
		const hl = document.querySelector('figure.page .hl[data-field="hourly_rate"]');
		await hl.parentElement.querySelector('img').decode();
		const img = hl.parentElement.querySelector('img').getBoundingClientRect();
		const r = hl.getBoundingClientRect();
		return {left: r.left - img.left, top: r.top - img.top, width: r.width, height: r.height, imgw: img.width, imgh: img.height,
			complete: hl.parentElement.querySelector('img').naturalWidth};
	})()`, chromedp.EvalAwaitPromise))
	if box["width"] <= 0 || box["height"] <= 0 || box["left"] < 0 || box["top"] < 0 || box["left"]+box["width"] > box["imgw"] || box["complete"] == 0 {
		t.Errorf("the rate's highlight is not a box on the page image: %v", box)
	}
	if n := run(t, ctx, "the rate's finding", chromedp.Evaluate[int](`document.querySelectorAll('.field[data-field="hourly_rate"] .issue.error').length`)); n != 1 {
		t.Errorf("%d findings beside the rate, want 1", n)
	}
	// French, then back to English.
	do(t, ctx, "French", chromedp.Click(chromedp.ID("lang-switch")), chromedp.WaitVisible(chromedp.ID("claimed-by-me")))
	if title := run(t, ctx, "French label", chromedp.Text(chromedp.CSS(`label[for="f-hourly_rate"]`))); title != "Taux horaire brut (€)" {
		t.Errorf("French label = %q", title)
	}
	if msg := run(t, ctx, "French message", chromedp.Text(chromedp.CSS(`.field[data-field="hourly_rate"] .issue`))); !strings.Contains(msg, "minimum") || !strings.Contains(msg, "Taux") {
		t.Errorf("French finding = %q", msg)
	}
	screenshot(t, ctx, "docflow-desk-task-fr.png")
	do(t, ctx, "English", chromedp.Click(chromedp.ID("lang-switch")), chromedp.WaitVisible(chromedp.ID("claimed-by-me")))

	// A second reviewer sees the claim and cannot take the task.
	ctx2 := newPerson(t)
	signInBrowser(t, ctx2, e, remi, "#queue")
	do(t, ctx2, "second reviewer opens the task", chromedp.Navigate(e.server.URL+taskURL), chromedp.WaitVisible(chromedp.ID("claimed-by-other")))
	if txt := run(t, ctx2, "claim banner", chromedp.Text(chromedp.ID("claimed-by-other"))); !strings.Contains(txt, "Rita Relue") {
		t.Errorf("second reviewer's banner = %q", txt)
	}
	if n := run(t, ctx2, "buttons", chromedp.Evaluate[int](`document.querySelectorAll('#claim, #approve, #reject').length`)); n != 0 {
		t.Errorf("the second reviewer is offered %d buttons", n)
	}
	if code := postStatus(t, ctx2, taskURL+"/claim"); code != 409 {
		t.Errorf("second reviewer's claim: %d, want 409", code)
	}
	// An uploader cannot see the task nor approve it.
	ctx3 := newPerson(t)
	signInBrowser(t, ctx3, e, ugo, "#upload-form")
	if code := postStatus(t, ctx3, taskURL+"/approve"); code != 403 {
		t.Errorf("uploader's approval: %d, want 403", code)
	}
	do(t, ctx3, "uploader opens the task", chromedp.Navigate(e.server.URL+taskURL), chromedp.WaitVisible(chromedp.ID("error")))

	// Correct the rate and approve.
	do(t, ctx, "correct the rate and approve",
		chromedp.Clear(chromedp.ID("f-hourly_rate")),
		chromedp.SendKeys(chromedp.ID("f-hourly_rate"), "12.50"),
		chromedp.SendKeys(chromedp.ID("comment"), "taux de l'avenant"),
		chromedp.Click(chromedp.ID("approve")),
		chromedp.WaitVisible(chromedp.CSS("#queue-empty")))

	var contract struct {
		ContractNumber string  `json:"contract_number"`
		HourlyRate     float64 `json:"hourly_rate"`
		WorkerName     string  `json:"worker_name"`
	}
	waitUntil(t, func() bool {
		return e.getAPI("/v1/contracts/"+number, tn.uploaderKey, &contract) == 200
	})
	if contract.HourlyRate != 12.5 || contract.WorkerName != "Élodie Lefèvre" {
		t.Errorf("committed contract = %+v, want the corrected rate 12.50", contract)
	}
	entries, err := e.svc.Store.Audit(t.Context(), tn.id, pipeline.AuditFilter{DocumentID: docID})
	if err != nil {
		t.Fatal(err)
	}
	var approved *pipeline.AuditEntry
	for i := range entries {
		if entries[i].Action == "review.approved" {
			approved = &entries[i]
		}
	}
	if approved == nil || approved.Actor != account.PrincipalPrefix+rita.ID {
		t.Fatalf("no approval by Rita in the audit log: %+v", entries)
	}
	changes, _ := approved.Details["changes"].(map[string]any)
	rate, _ := changes["hourly_rate"].([]any)
	if len(changes) != 1 || len(rate) != 2 || rate[0] != 9.5 || rate[1] != 12.5 || approved.Details["reason"] != "taux de l'avenant" {
		t.Errorf("audited changes = %v, want only hourly_rate 9.5 -> 12.5", approved.Details)
	}
	// The history shows it.
	do(t, ctx, "document history", chromedp.Navigate(e.server.URL+"/desk/documents/"+docID), chromedp.WaitVisible(chromedp.ID("history")))
	if h := run(t, ctx, "history", chromedp.Text(chromedp.ID("history"))); !strings.Contains(h, "Approved") || !strings.Contains(h, "9.5 → 12.5") || !strings.Contains(h, "Rita Relue") {
		t.Errorf("history = %q", h)
	}
}

// TestUploadPageInBrowser drops files on the upload page and watches them
// become committed, refused, or carried by an email.
func TestUploadPageInBrowser(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tn := e.tenant("Agence Upload")
	ugo := e.user(tn.id, pipeline.RoleUploader, "Ugo Dépôt")
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ts := testdocs.ValidTimesheet("CM-2026-000888")
	mail := "From: rh@client.example\r\nTo: depot@agence.example\r\nSubject: releve\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nCi-joint.\r\n" +
		"--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"releve.pdf\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString(testdocs.PDF(testdocs.Timesheet(ts))) + "\r\n--B--\r\n"
	files := []string{
		write("contrat-888.pdf", testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-2026-000888")))),
		write("casse.pdf", []byte("%PDF-1.4 this is not a PDF")),
		write("message.eml", []byte(mail)),
	}
	ctx := newPerson(t)
	signInBrowser(t, ctx, e, ugo, "#upload-form")
	do(t, ctx, "upload three files",
		chromedp.SetUploadFiles(chromedp.ID("file-input"), files),
		chromedp.WaitVisible(chromedp.CSS(`#progress li:nth-child(3).done, #progress li:nth-child(3).failed`)),
		chromedp.WaitVisible(chromedp.CSS(`tr.doc-row[data-status="committed"] a, tr.doc-row[data-status="committed"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr.doc-row[data-status="refused"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr.doc-row.child .via`)))
	// The contract commits; the email's timesheet then waits for nothing.
	waitUntil(t, func() bool {
		n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('tr.doc-row[data-status="committed"]').length`))
		return n >= 2
	})
	bars := run(t, ctx, "progress", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#progress li')].map(li => li.className + ' ' + li.querySelector('progress').value)`))
	if len(bars) != 3 {
		t.Errorf("progress rows = %v", bars)
	}
	refused := run(t, ctx, "refused row", chromedp.Text(chromedp.CSS(`tr.doc-row[data-status="refused"] .what`)))
	if !strings.HasPrefix(refused, "Refused: ") {
		t.Errorf("refused row says %q", refused)
	}
	via := run(t, ctx, "email child", chromedp.Text(chromedp.CSS(`tr.doc-row.child .via`)))
	if !strings.Contains(via, "message.eml") {
		t.Errorf("child row says %q, want its email", via)
	}
	screenshot(t, ctx, "docflow-desk-upload-en.png")
	docs, err := e.svc.Store.Documents(t.Context(), tn.id, pipeline.DocumentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if d.ParentID == "" && d.UploadedBy != account.PrincipalPrefix+ugo.ID {
			t.Errorf("document %s was uploaded by %q, want Ugo", d.FileName, d.UploadedBy)
		}
	}
}

// waitUntil polls cond for at most a minute.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("condition not met within a minute")
}
