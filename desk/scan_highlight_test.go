package desk

import (
	"bytes"
	"context"
	"image/color"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/docflow/docflow/pipeline/testdocs"
)

// scanPDF makes an image-only PDF (a scan): the text PDF of text is
// rendered to a JPEG, which testdocs.ImagePDF shows full page.
func scanPDF(t *testing.T, text string) []byte {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "src.pdf")
	if err := os.WriteFile(src, testdocs.PDF(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-r", "200", "-gray", "-jpeg", "-singlefile", src, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	jpg, err := os.ReadFile(filepath.Join(dir, "page.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(jpg))
	if err != nil {
		t.Fatal(err)
	}
	w, h, space := cfg.Width, cfg.Height, "DeviceRGB"
	if cfg.ColorModel == color.GrayModel {
		space = "DeviceGray"
	}
	return testdocs.ImagePDF(jpg, w, h, space)
}

// TestScannedPageSourcesAreBoxed: a page without a text layer gets its word
// boxes from OCR, read as the reader reads it, so a field's source is boxed
// on the page image as on a text PDF.
func TestScannedPageSourcesAreBoxed(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"pdftoppm", "pdftotext", "tesseract"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("DOCFLOW_TEST_REQUIRE_TOOLS") != "" {
				t.Fatalf("%s is required", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	pdf := scanPDF(t, testdocs.Contract(testdocs.ValidContract("CM-2026-000555")))
	p := newPageRenderer(t.TempDir())
	words, err := p.BBox(context.Background(), "4f877a52-ca95-45fe-b9a2-a2984c8d968b", "abc", pdf, 1)
	if err != nil {
		t.Fatal(err)
	}
	if wordCount(words) < 20 || words.Width < 590 || words.Width > 600 {
		t.Fatalf("OCR words: %d on a page %.0f points wide", wordCount(words), words.Width)
	}
	b, ok := words.locate("work_location", "Villeurbanne")
	if !ok {
		t.Fatal("the source of work_location is not found on the scanned page")
	}
	if b.Left <= 0 || b.Left > 60 || b.Top <= 0 || b.Top > 60 || b.Width <= 0 || b.Height <= 0 {
		t.Errorf("box %+v is not where the line is (left column, upper half)", b)
	}
	// The second view comes from the cache.
	again, err := p.BBox(context.Background(), "4f877a52-ca95-45fe-b9a2-a2984c8d968b", "abc", pdf, 1)
	if err != nil || wordCount(again) != wordCount(words) {
		t.Errorf("cached words: %d, %v", wordCount(again), err)
	}
}
