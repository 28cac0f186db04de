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
	encryptRef = regexp.MustCompile(`/Encrypt\s*(\d+\s+\d+\s+R|<<)`)
)

// minPageText is the number of letters and digits under which a PDF page is
// taken for a scan without a text layer.
const minPageText = 20

// readPDF refuses encrypted, truncated or oversized PDFs, extracts the text
// layer page by page and reads pages without one by OCR. The common path
// runs one program, pdftotext, on the bytes piped in; the file is written
// to disk only when pages must be rendered for OCR.
func (r *Reader) readPDF(ctx context.Context, name string, data []byte) (pipeline.Content, error) {
	if encryptRef.Match(data) {
		return pipeline.Content{}, derrors.Refuse(derrors.EncryptedDocument, "%s: the PDF is encrypted", name)
	}
	if !bytes.Contains(data, []byte("startxref")) || !bytes.Contains(data, []byte("%%EOF")) {
		return pipeline.Content{}, corrupt(name, "the PDF is truncated (no startxref or %%EOF)")
	}
	if n := declaredPages(data); n > r.cfg.MaxPages {
		return pipeline.Content{}, derrors.Refuse(derrors.TooLarge, "%s: %d pages, more than the limit of %d", name, n, r.cfg.MaxPages)
	}
	if !r.tools.has("pdftotext") {
		return pipeline.Content{Format: "pdf", Confidence: 0}, nil
	}
	// At most one page past the limit is read, to tell that there are more.
	out, err := r.tools.run(ctx, data, "pdftotext", "-layout", "-enc", "UTF-8", "-l", strconv.Itoa(r.cfg.MaxPages+1), "-", "-")
	if err != nil {
		if ctx.Err() != nil {
			return pipeline.Content{}, ctx.Err()
		}
		if strings.Contains(strings.ToLower(err.Error()), "password") {
			return pipeline.Content{}, derrors.Refuse(derrors.EncryptedDocument, "%s: the PDF is encrypted", name)
		}
		return pipeline.Content{}, corrupt(name, "unreadable PDF: %v", err)
	}
	texts := strings.Split(strings.TrimSuffix(string(out), "\f"), "\f")
	if len(texts) > r.cfg.MaxPages {
		return pipeline.Content{}, derrors.Refuse(derrors.TooLarge, "%s: more than the limit of %d pages", name, r.cfg.MaxPages)
	}
	return r.ocrEmptyPages(ctx, name, data, texts)
}

// reCount finds the page counts that page-tree nodes declare.
var reCount = regexp.MustCompile(`/Type\s*/Pages\b[^>]*?/Count\s+(\d+)|/Count\s+(\d+)[^>]*?/Type\s*/Pages\b`)

// declaredPages returns the largest page count the PDF's uncompressed page
// tree declares, or 0 when it is not readable without parsing (object
// streams); pdftotext's page limit bounds the work then.
func declaredPages(data []byte) int {
	best := 0
	for _, m := range reCount.FindAllSubmatch(data, 64) {
		for _, g := range m[1:] {
			if n, err := strconv.Atoi(string(g)); err == nil && n > best {
				best = n
			}
		}
	}
	return best
}

// ocrEmptyPages replaces the pages without a text layer by their OCR text
// and assembles the Content.
func (r *Reader) ocrEmptyPages(ctx context.Context, name string, data []byte, texts []string) (pipeline.Content, error) {
	canOCR := r.tools.has("pdftoppm") && r.tools.has("tesseract")
	pages := len(texts)
	path := ""
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
		if path == "" {
			dir, err := os.MkdirTemp("", "docflow-pdf-")
			if err != nil {
				return pipeline.Content{}, err
			}
			defer os.RemoveAll(dir)
			path = filepath.Join(dir, "in.pdf")
			if err := os.WriteFile(path, data, 0o600); err != nil {
				return pipeline.Content{}, err
			}
		}
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
