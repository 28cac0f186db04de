package reader_test

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/docflow/docflow/extractors/reader"
	"github.com/docflow/docflow/pipeline/testdocs"
)

// BenchmarkReadTextPDF reads a one-page text PDF; compare with
// BenchmarkPdftotextDirect for docflow's overhead over the tool.
func BenchmarkReadTextPDF(b *testing.B) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		b.Skip("pdftotext is not installed")
	}
	r := reader.New(reader.Config{})
	data := testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-1")))
	for b.Loop() {
		if _, err := r.Read(context.Background(), "c.pdf", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPdftotextDirect runs pdftotext itself on the same PDF.
func BenchmarkPdftotextDirect(b *testing.B) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		b.Skip("pdftotext is not installed")
	}
	data := testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-1")))
	for b.Loop() {
		cmd := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", "-", "-")
		cmd.Stdin = bytes.NewReader(data)
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
	}
}

// requireTools skips a benchmark when a program is missing.
func requireTools(b *testing.B, names ...string) {
	b.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			b.Skipf("%s is not installed", n)
		}
	}
}

// pageImage renders the first page of a generated contract at dpi to a
// greyscale PNG (300 dpi: 2481x3508, 8.7 megapixels; 460 dpi: 20 MP).
func pageImage(b *testing.B, dpi int) []byte {
	b.Helper()
	requireTools(b, "pdftoppm")
	pdf := testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-2026-004512")))
	cmd := exec.Command("pdftoppm", "-r", strconv.Itoa(dpi), "-gray", "-png", "-singlefile", "-f", "1", "-l", "1", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// reportMaxRSS reports the peak resident memory of this process and of the
// largest child it has waited for, in MiB. Run one benchmark per process
// (-bench '^Name$') for the child figure to belong to it.
func reportMaxRSS(b *testing.B) {
	var self, kids syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	b.ReportMetric(float64(self.Maxrss)/1024, "self-maxrss-MiB")
	b.ReportMetric(float64(kids.Maxrss)/1024, "child-maxrss-MiB")
}

// BenchmarkOCRPage reads one generated 300 dpi page image: decoding,
// cleaning (deskew, despeckle, binarize) and tesseract. Compare with
// BenchmarkTesseractDirect.
func BenchmarkOCRPage(b *testing.B) {
	requireTools(b, "tesseract")
	img := pageImage(b, 300)
	r := reader.New(reader.Config{})
	for b.Loop() {
		if _, err := r.Read(context.Background(), "scan.png", img); err != nil {
			b.Fatal(err)
		}
	}
	reportMaxRSS(b)
}

// BenchmarkTesseractDirect runs tesseract alone on the image of
// BenchmarkOCRPage, with the reader's options.
func BenchmarkTesseractDirect(b *testing.B) {
	requireTools(b, "tesseract")
	img := pageImage(b, 300)
	for b.Loop() {
		cmd := exec.Command("tesseract", "stdin", "stdout", "-l", "fra+eng", "--psm", "6", "tsv")
		cmd.Env = append(cmd.Environ(), "OMP_THREAD_LIMIT=1")
		cmd.Stdin = bytes.NewReader(img)
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
	}
	reportMaxRSS(b)
}

// BenchmarkOCRScan20MP reads a 20-megapixel page image (460 dpi), for its
// time and peak memory.
func BenchmarkOCRScan20MP(b *testing.B) {
	requireTools(b, "tesseract")
	img := pageImage(b, 460)
	r := reader.New(reader.Config{})
	for b.Loop() {
		if _, err := r.Read(context.Background(), "scan.png", img); err != nil {
			b.Fatal(err)
		}
	}
	reportMaxRSS(b)
}

// pdf200 is a generated text PDF of 200 pages (the default page limit).
func pdf200() []byte {
	var lines []string
	for i := 0; i < 200*60; i++ {
		lines = append(lines, fmt.Sprintf("Ligne %d : 02/03/2026 08:00 15:30 7,50 Taux horaire 13,45 €", i))
	}
	return testdocs.PDF(strings.Join(lines, "\n"))
}

// BenchmarkRead200PagePDF reads a 200-page text PDF; compare pages/s with
// BenchmarkPdftotext200Direct.
func BenchmarkRead200PagePDF(b *testing.B) {
	requireTools(b, "pdftotext")
	data := pdf200()
	r := reader.New(reader.Config{})
	for b.Loop() {
		c, err := r.Read(context.Background(), "long.pdf", data)
		if err != nil || c.Pages != 200 {
			b.Fatal(c.Pages, err)
		}
	}
	b.ReportMetric(float64(200*b.N)/b.Elapsed().Seconds(), "pages/s")
	reportMaxRSS(b)
}

// BenchmarkPdftotext200Direct runs pdftotext alone on the PDF of
// BenchmarkRead200PagePDF.
func BenchmarkPdftotext200Direct(b *testing.B) {
	requireTools(b, "pdftotext")
	data := pdf200()
	for b.Loop() {
		cmd := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", "-", "-")
		cmd.Stdin = bytes.NewReader(data)
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(200*b.N)/b.Elapsed().Seconds(), "pages/s")
	reportMaxRSS(b)
}
