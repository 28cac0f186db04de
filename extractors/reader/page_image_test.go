package reader

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/docflow/docflow/pipeline/testdocs"
)

// TestScannedPagesKeptAsImages: with PageImages set, a scanned page comes
// with a PNG small enough to send to a vision model; without, none.
func TestScannedPagesKeptAsImages(t *testing.T) {
	t.Parallel()
	requireTool(t, "pdftoppm", "tesseract")
	dir := t.TempDir()
	pdf := filepath.Join(dir, "c.pdf")
	if err := os.WriteFile(pdf, testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-2026-000321"))), 0o600); err != nil {
		t.Fatal(err)
	}
	// A photo of the page: a PNG at 200 dpi, no text layer.
	if err := exec.Command("pdftoppm", "-r", "200", "-png", "-singlefile", pdf, filepath.Join(dir, "scan")).Run(); err != nil {
		t.Fatal(err)
	}
	scan, err := os.ReadFile(filepath.Join(dir, "scan.png"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{PageImages: 1}).Read(context.Background(), "photo.png", scan)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Images) != 1 || c.Images[0].MediaType != "image/png" || c.Images[0].Page != 1 {
		t.Fatalf("images = %d", len(c.Images))
	}
	img, err := png.Decode(bytes.NewReader(c.Images[0].Data))
	if err != nil || img.Bounds().Dx() > pageImageWidth || img.Bounds().Dx() < pageImageWidth/2 {
		t.Errorf("kept image: %v, %v", img.Bounds(), err)
	}
	c, err = New(Config{}).Read(context.Background(), "photo.png", scan)
	if err != nil || len(c.Images) != 0 {
		t.Errorf("images kept without PageImages: %d (%v)", len(c.Images), err)
	}
}
