package reader

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
)

var (
	encryptRef   = regexp.MustCompile(`/Encrypt\s*(\d+\s+\d+\s+R|<<)`)
	pdfinfoPages = regexp.MustCompile(`(?m)^Pages:\s+(\d+)`)
	pdfinfoCrypt = regexp.MustCompile(`(?m)^Encrypted:\s+yes`)
)

// minPageText is the number of letters and digits under which a PDF page is
// taken for a scan without a text layer.
const minPageText = 20

// readPDF refuses encrypted, truncated or oversized PDFs, extracts the text
// layer page by page and reads pages without one by OCR.
func (r *Reader) readPDF(ctx context.Context, name string, data []byte) (pipeline.Content, error) {
	if encryptRef.Match(data) {
		return pipeline.Content{}, derrors.Refuse(derrors.EncryptedDocument, "%s: the PDF is encrypted", name)
	}
	if !bytes.Contains(data, []byte("startxref")) || !bytes.Contains(data, []byte("%%EOF")) {
		return pipeline.Content{}, corrupt(name, "the PDF is truncated (no startxref or %%EOF)")
	}
	if !r.tools.has("pdftotext") {
		return pipeline.Content{Format: "pdf", Confidence: 0}, nil
	}
	dir, err := os.MkdirTemp("", "docflow-pdf-")
	if err != nil {
		return pipeline.Content{}, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return pipeline.Content{}, err
	}
	pages, err := r.pdfPages(ctx, name, path)
	if err != nil {
		return pipeline.Content{}, err
	}
	out, err := r.tools.run(ctx, nil, "pdftotext", "-layout", "-enc", "UTF-8", path, "-")
	if err != nil {
		if ctx.Err() != nil {
			return pipeline.Content{}, ctx.Err()
		}
		return pipeline.Content{}, corrupt(name, "unreadable PDF: %v", err)
	}
	texts := strings.Split(strings.TrimSuffix(string(out), "\f"), "\f")
	if pages == 0 {
		pages = len(texts)
	}
	return r.ocrEmptyPages(ctx, name, path, texts, pages)
}

// pdfPages returns the page count from pdfinfo (0 when pdfinfo is missing),
// refusing encrypted, unreadable and too long documents.
func (r *Reader) pdfPages(ctx context.Context, name, path string) (int, error) {
	if !r.tools.has("pdfinfo") {
		return 0, nil
	}
	info, err := r.tools.run(ctx, nil, "pdfinfo", path)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if strings.Contains(strings.ToLower(err.Error()), "password") {
			return 0, derrors.Refuse(derrors.EncryptedDocument, "%s: the PDF is encrypted", name)
		}
		return 0, corrupt(name, "unreadable PDF: %v", err)
	}
	if pdfinfoCrypt.Match(info) {
		return 0, derrors.Refuse(derrors.EncryptedDocument, "%s: the PDF is encrypted", name)
	}
	pages := 0
	if m := pdfinfoPages.FindSubmatch(info); m != nil {
		pages, _ = strconv.Atoi(string(m[1]))
	}
	if pages > r.cfg.MaxPages {
		return 0, derrors.Refuse(derrors.TooLarge, "%s: %d pages, more than the limit of %d", name, pages, r.cfg.MaxPages)
	}
	return pages, nil
}

// ocrEmptyPages replaces the pages without a text layer by their OCR text
// and assembles the Content.
func (r *Reader) ocrEmptyPages(ctx context.Context, name, path string, texts []string, pages int) (pipeline.Content, error) {
	canOCR := r.tools.has("pdftoppm") && r.tools.has("tesseract")
	var (
		confSum  float64
		scanned  int
		anyText  bool
		ocrTried bool
	)
	for i := range texts {
		if countAlnum(texts[i]) >= minPageText {
			confSum++
			anyText = true
			continue
		}
		scanned++
		if !canOCR || i >= pages {
			continue
		}
		ocrTried = true
		text, conf, err := r.ocrPDFPage(ctx, path, i+1)
		if err != nil {
			if ctx.Err() != nil {
				return pipeline.Content{}, ctx.Err()
			}
			continue
		}
		texts[i] = text
		confSum += conf
		if countAlnum(text) > 0 {
			anyText = true
		}
	}
	c := pipeline.Content{Text: strings.Join(texts, "\f"), Format: "pdf", Pages: pages}
	if len(texts) > 0 {
		c.Confidence = confSum / float64(len(texts))
	}
	if scanned*2 > len(texts) {
		c.Format = "scan"
	}
	if ocrTried && !anyText {
		return pipeline.Content{}, derrors.Refuse(derrors.EmptyDocument, "%s: no text found, even by OCR", name)
	}
	return c, nil
}

func countAlnum(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			n++
		}
	}
	return n
}
