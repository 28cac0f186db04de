package main

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
)

// BenchmarkWorkerPeakMemory runs the real binary, `docflow serve
// --workers-only` (2 workers), once per input, on the largest inputs the
// defaults allow, and reports the process's peak resident memory (VmHWM)
// after the input is processed, next to the same process's peak while idle
// (measured just before the upload). Each figure is one process's, so b.N
// only repeats the measure; run with -benchtime 1x.
func BenchmarkWorkerPeakMemory(b *testing.B) {
	for _, in := range []struct {
		name string
		file string
		data func(b *testing.B) []byte
	}{
		{"pdf-24MB-200-pages", "big.pdf", func(*testing.B) []byte { return bigTextPDF(24 << 20) }},
		{"scan-10-pages-300dpi", "scan.pdf", func(b *testing.B) []byte { return scanPDF(b, 10) }},
		{"xlsx-80MB-sheet", "big.xlsx", func(b *testing.B) []byte { return bigXLSX(b, 80<<20) }},
		{"email-24MB", "big.eml", func(*testing.B) []byte {
			return testdocs.Email("big@example.org", "contrat.pdf", bigTextPDF(17<<20))
		}},
	} {
		b.Run(in.name, func(b *testing.B) {
			data := in.data(b)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				idle, peak, elapsed, status := workerPeak(b, in.file, data)
				b.ReportMetric(float64(len(data))/(1<<20), "input-MiB")
				b.ReportMetric(idle, "idle-peak-MiB")
				b.ReportMetric(peak, "peak-MiB")
				b.ReportMetric(elapsed.Seconds(), "process-s")
				b.Logf("%s: %s, ended %s", in.name, elapsed.Round(time.Millisecond), status)
			}
		})
	}
}

// workerPeak starts a worker process on fresh databases, waits until it is
// idle, uploads data and returns its peak RSS idle and after the document
// is processed (MiB), the time processing took and the document's status.
func workerPeak(b *testing.B, name string, data []byte) (idle, peak float64, elapsed time.Duration, status string) {
	e := newOpsEnv(b, map[string]string{"DOCFLOW_RATE_PER_KEY": "0", "DOCFLOW_RATE_PER_TENANT": "0"})
	p := e.start(nil, "serve", "--workers-only")
	time.Sleep(3 * time.Second)
	idle = vmHWM(b, p.Pid())
	start := time.Now()
	d, _, err := e.app.svc.Upload(context.Background(), pipeline.Principal{TenantID: e.tenant, Role: pipeline.RoleUploader},
		name, bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	const final = `SELECT count(*) FROM documents WHERE id = $1 AND status IN ('committed', 'in_review', 'failed', 'refused', 'rejected')`
	e.waitFor("the document to be processed", 10*time.Minute, func() bool { return e.count(final, d.ID) == 1 })
	// An email's children are processed after it.
	e.waitFor("the children", 10*time.Minute, func() bool {
		return e.count(`SELECT count(*) FROM documents WHERE parent_id = $1 AND status IN ('received', 'processing')`, d.ID) == 0
	})
	elapsed = time.Since(start)
	peak = vmHWM(b, p.Pid())
	_ = e.app.pool.QueryRow(context.Background(), "SELECT status || ' ' || refusal_message FROM documents WHERE id = $1", d.ID).Scan(&status)
	_ = terminate(b, p, time.Minute)
	return idle, peak, elapsed, status
}

// vmHWM reads a process's peak resident set size in MiB.
func vmHWM(b *testing.B, pid int) float64 {
	s, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(s), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				b.Fatal(line, err)
			}
			return float64(kb) / 1024
		}
	}
	b.Fatal("no VmHWM")
	return 0
}

// bigTextPDF is a 200-page text PDF of about size bytes (long lines of
// timesheet text).
func bigTextPDF(size int) []byte {
	const pages, linesPerPage = 200, 60
	width := size / (pages * linesPerPage)
	var lines []string
	for i := range pages * linesPerPage {
		line := fmt.Sprintf("Ligne %d : 02/03/2026 08:00 15:30 7,50 Taux horaire 13,45 EUR ", i)
		lines = append(lines, strings.Repeat(line, width/len(line)+1)[:width])
	}
	return testdocs.PDF(strings.Join(lines, "\n"))
}

// scanPDF is a scan of pages pages: each a 300 dpi greyscale JPEG of a
// contract page without a text layer, joined with pdfunite.
func scanPDF(b *testing.B, pages int) []byte {
	for _, tool := range []string{"pdftoppm", "pdfunite", "tesseract"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Skipf("%s is not installed", tool)
		}
	}
	cmd := exec.Command("pdftoppm", "-r", "300", "-gray", "-jpeg", "-singlefile", "-f", "1", "-l", "1", "-")
	cmd.Stdin = bytes.NewReader(testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-2026-004512"))))
	rgb, err := cmd.Output()
	if err != nil {
		b.Fatal(err)
	}
	// pdftoppm ignores -gray with -jpeg: it writes a three-component JPEG
	// (2480 × 3509 for A4). Declared as a DeviceGray image of another size,
	// poppler rendered the page blank and the reader refused the scan as
	// empty ("no text found, even by OCR"). Re-encode it as a one-component
	// JPEG and declare its real size.
	img, err := jpeg.Decode(bytes.NewReader(rgb))
	if err != nil {
		b.Fatal(err)
	}
	gray := image.NewGray(img.Bounds())
	draw.Draw(gray, gray.Bounds(), img, img.Bounds().Min, draw.Src)
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, gray, &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	page := filepath.Join(dir, "page.pdf")
	if err := os.WriteFile(page, testdocs.ImagePDF(jpg.Bytes(), gray.Bounds().Dx(), gray.Bounds().Dy(), "DeviceGray"), 0o600); err != nil {
		b.Fatal(err)
	}
	args := []string{}
	for range pages {
		args = append(args, page)
	}
	out := filepath.Join(dir, "scan.pdf")
	if msg, err := exec.Command("pdfunite", append(args, out)...).CombinedOutput(); err != nil {
		b.Fatalf("pdfunite: %v %s", err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// bigXLSX is a workbook of one sheet whose XML inflates to about size
// bytes (rows of timesheet cells as inline strings and numbers).
func bigXLSX(b *testing.B, size int) []byte {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	put := func(name, body string) {
		w, err := z.Create(name)
		if err != nil {
			b.Fatal(err)
		}
		w.Write([]byte(body))
	}
	put("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`)
	put("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="Heures" sheetId="1"/></sheets></workbook>`)
	w, err := z.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		b.Fatal(err)
	}
	var s strings.Builder
	s.WriteString(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	for r := 1; s.Len() < size-100; r++ {
		fmt.Fprintf(&s, `<row r="%d"><c r="A%d" t="inlineStr"><is><t>Salarié %d</t></is></c><c r="B%d" t="inlineStr"><is><t>02/03/2026</t></is></c><c r="C%d"><v>7.5</v></c><c r="D%d" t="inlineStr"><is><t>CM-2026-%06d</t></is></c></row>`, r, r, r, r, r, r, r)
	}
	s.WriteString(`</sheetData></worksheet>`)
	w.Write([]byte(s.String()))
	if err := z.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}
