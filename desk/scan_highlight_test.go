package desk

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/docflow/docflow/pipeline/testdocs"
)

// scanPDF makes an image-only PDF (a scan): the text PDF of text is
// rendered to a JPEG, which a one-page PDF shows full page.
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
	w, h, space := cfg.Width, cfg.Height, "/DeviceRGB"
	if cfg.ColorModel == color.GrayModel {
		space = "/DeviceGray"
	}
	content := "q 595 0 0 842 0 0 cm /Im0 Do Q"
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>",
		fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n%s\nendstream", w, h, space, len(jpg), jpg),
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
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
