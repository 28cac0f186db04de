package reader

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline/testdocs"
)

// manyPagesPDF writes a PDF of n pages, each showing one short line, with a
// page tree that declares its count (as every PDF writer does).
func manyPagesPDF(n int) []byte {
	lines := make([]string, 0, 60*n)
	for i := 0; i < n; i++ {
		for j := 0; j < 60; j++ {
			lines = append(lines, fmt.Sprintf("page %d line %d", i+1, j+1))
		}
	}
	return testdocs.PDF(strings.Join(lines, "\n"))
}

// zipWithLyingSize writes a DOCX whose document.xml declares a small
// uncompressed size but inflates to much more.
func zipWithLyingSize(t *testing.T, declared uint64, body []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	// CreateRaw takes the sizes as given: write compressed data ourselves.
	var comp bytes.Buffer
	fw, err := zipDeflate(&comp)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(body)
	fw.Close()
	f, err := w.CreateRaw(&zip.FileHeader{
		Name: "word/document.xml", Method: zip.Deflate,
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: declared,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.Write(comp.Bytes())
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zipDeflate(w *bytes.Buffer) (*flate.Writer, error) { return flate.NewWriter(w, flate.BestSpeed) }

func TestHostileInputs(t *testing.T) {
	t.Parallel()
	docxBody := `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>` +
		strings.Repeat("A", 4<<20) + `</w:t></w:r></w:p></w:body></w:document>`
	xlsxBomb := zipOf(t, map[string]string{
		"xl/workbook.xml":            `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>`,
		"xl/worksheets/sheet1.xml":   `<worksheet><sheetData>` + strings.Repeat(`<row r="1"><c r="A1"><v>1</v></c></row>`, 200000) + `</sheetData></worksheet>`,
	})
	var pngBuf bytes.Buffer
	png.Encode(&pngBuf, image.NewGray(image.Rect(0, 0, 4, 4)))
	truncZip := zipOf(t, map[string]string{"word/document.xml": docxBody})
	tests := []struct {
		name string
		file string
		data []byte
		cfg  Config
		want string
	}{
		{"docx bomb", "a.docx", zipOf(t, map[string]string{"word/document.xml": docxBody}), Config{MaxUncompressed: 1 << 20}, derrors.TooLarge},
		{"xlsx bomb", "a.xlsx", xlsxBomb, Config{MaxUncompressed: 1 << 20}, derrors.TooLarge},
		// archive/zip stops an entry that inflates past its declared size, so
		// a lie is found before the budget is spent.
		{"zip entry lying about its size", "a.docx", zipWithLyingSize(t, 100, []byte(docxBody)), Config{MaxUncompressed: 1 << 20}, derrors.CorruptDocument},
		{"zip entry declaring too much", "a.docx", zipWithLyingSize(t, 1<<40, []byte(docxBody[:2000])), Config{}, derrors.TooLarge},
		{"zip entry lying, within budget", "a.docx", zipWithLyingSize(t, 100, []byte(docxBody[:2000])), Config{}, derrors.CorruptDocument},
		{"truncated zip", "a.docx", truncZip[:len(truncZip)/2], Config{}, derrors.CorruptDocument},
		{"huge png header", "a.png", pngHeader(50000, 50000), Config{}, derrors.TooLarge},
		{"huge tiff header", "a.tif", tiffHeader(50000, 50000), Config{}, derrors.TooLarge},
		{"truncated pdf", "a.pdf", testdocs.PDF("CONTRAT DE MISSION\nTaux : 13,45")[:300], Config{}, derrors.CorruptDocument},
		{"png named pdf", "a.pdf", pngBuf.Bytes(), Config{}, ""}, // read as an image: see below
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.name == "png named pdf" {
				requireTool(t, "tesseract")
				tt.want = derrors.UnsupportedMediaType // an image without text
			}
			start := time.Now()
			_, err := New(tt.cfg).Read(context.Background(), tt.file, tt.data)
			if got := refusalCode(err); got != tt.want {
				t.Fatalf("refusal = %q (%v), want %q", got, err, tt.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s", d)
			}
		})
	}
}

// tiffHeader returns a little-endian TIFF header with one IFD holding
// ImageWidth and ImageLength.
func tiffHeader(w, h uint32) []byte {
	b := []byte("II*\x00\x08\x00\x00\x00\x02\x00")
	entry := func(tag uint16, v uint32) []byte {
		return []byte{byte(tag), byte(tag >> 8), 4, 0, 1, 0, 0, 0, byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
	}
	b = append(b, entry(256, w)...)
	b = append(b, entry(257, h)...)
	return append(b, 0, 0, 0, 0)
}

func TestSniffNotExtension(t *testing.T) {
	t.Parallel()
	c, err := New(Config{}).Read(context.Background(), "releve.pdf", []byte("RELEVE D'HEURES\nlundi 2 mars 2026 : 7 h 30\n"))
	if err != nil || c.Format != "txt" || !strings.Contains(c.Text, "7 h 30") {
		t.Fatalf("text named .pdf: %+v, %v", c, err)
	}
	c, err = New(Config{}).Read(context.Background(), "export.pdf", []byte("a;b\n1;2\n3;4\n"))
	if err != nil || c.Format != "csv" {
		t.Fatalf("csv named .pdf: %+v, %v", c, err)
	}
}

func TestManyPagesRefusedQuickly(t *testing.T) {
	t.Parallel()
	data := manyPagesPDF(3000)
	start := time.Now()
	_, err := New(Config{}).Read(context.Background(), "big.pdf", data)
	if got := refusalCode(err); got != derrors.TooLarge {
		t.Fatalf("refusal = %q (%v), want too_large", got, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s; the page count should be read without pdftotext", d)
	}
	// A page tree whose count the cheap scan misses (here behind a nested
	// dictionary) is still bounded by pdftotext's page limit.
	requireTool(t, "pdftotext")
	hidden := bytes.Replace(manyPagesPDF(30), []byte("/Type /Pages"), []byte("/Type /Pages /X << /Y 1 >>"), 1)
	if declaredPages(hidden) != 0 {
		t.Fatal("the test PDF's count is not hidden")
	}
	_, err = New(Config{MaxPages: 10}).Read(context.Background(), "hidden.pdf", hidden)
	if got := refusalCode(err); got != derrors.TooLarge {
		t.Fatalf("hidden count: refusal = %q (%v), want too_large", got, err)
	}
}

func TestToolTimeout(t *testing.T) {
	t.Parallel()
	requireTool(t, "pdftotext")
	data := manyPagesPDF(190)
	start := time.Now()
	_, err := New(Config{Timeout: time.Millisecond}).Read(context.Background(), "slow.pdf", data)
	if !errors.Is(err, ErrToolTimeout) {
		t.Fatalf("err = %v, want ErrToolTimeout", err)
	}
	if _, ok := derrors.AsRefusal(err); ok {
		t.Fatalf("a timeout is not a refusal: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
}

func TestOCRTimeout(t *testing.T) {
	t.Parallel()
	requireTool(t, "tesseract")
	img := textImage(t, 0)
	_, err := New(Config{Timeout: 50 * time.Millisecond}).Read(context.Background(), "scan.png", img)
	if !errors.Is(err, ErrToolTimeout) {
		t.Fatalf("err = %v, want ErrToolTimeout", err)
	}
}

func TestParserPanicIsCorrupt(t *testing.T) {
	t.Parallel()
	r := New(Config{})
	_, err := r.readWith(func() (Detail, error) { panic("boom") }, "x.docx")
	if got := refusalCode(err); got != derrors.CorruptDocument {
		t.Fatalf("refusal = %q (%v), want corrupt_document", got, err)
	}
}

// textImage renders the first page of a generated contract to a PNG at
// 200 dpi through pdftoppm, rotated by deg degrees, with specks of noise.
func textImage(t testing.TB, deg float64) []byte {
	t.Helper()
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Skip("pdftoppm is not installed")
	}
	pdf := testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-2026-004512")))
	cmd := exec.Command("pdftoppm", "-r", "200", "-gray", "-singlefile", "-f", "1", "-l", "1", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	img, err := decodePGM(out)
	if err != nil {
		t.Fatal(err)
	}
	if deg != 0 {
		img = rotate(img, deg)
	}
	// Scan noise: a sprinkle of specks.
	for i := 0; i < 400; i++ {
		x, y := (i*7919)%img.Bounds().Dx(), (i*104729)%img.Bounds().Dy()
		img.SetGray(x, y, color.Gray{Y: 0})
		img.SetGray(x+1, y, color.Gray{Y: 0})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestOCRRotatedImage(t *testing.T) {
	t.Parallel()
	requireTool(t, "tesseract", "pdftoppm")
	for _, deg := range []float64{0, 2.5} {
		c, err := New(Config{}).Read(context.Background(), "scan.png", textImage(t, deg))
		if err != nil {
			t.Fatalf("%g°: %v", deg, err)
		}
		for _, want := range []string{"CM-2026-004512", "CONTRAT"} {
			if !strings.Contains(c.Text, want) {
				t.Errorf("%g°: text lacks %q:\n%s", deg, want, c.Text)
			}
		}
		if c.Format != "scan" || c.Confidence < 0.5 {
			t.Errorf("%g°: format %q confidence %.2f", deg, c.Format, c.Confidence)
		}
	}
}
