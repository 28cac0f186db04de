package reader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
func (r *Reader) readPDF(ctx context.Context, name string, data []byte) (Detail, error) {
	if encryptRef.Match(data) {
		return Detail{}, derrors.Refuse(derrors.EncryptedDocument, "%s: the PDF is encrypted", name)
	}
	if !bytes.Contains(data, []byte("startxref")) || !bytes.Contains(data, []byte("%%EOF")) {
		return Detail{}, corrupt(name, "the PDF is truncated (no startxref or %%EOF)")
	}
	if n := declaredPages(data); n > r.cfg.MaxPages {
		return Detail{}, derrors.Refuse(derrors.TooLarge, "%s: %d pages, more than the limit of %d", name, n, r.cfg.MaxPages)
	}
	if !r.tools.has("pdftotext") {
		return Detail{Content: pipeline.Content{Format: "pdf", Confidence: 0}}, nil
	}
	// At most one page past the limit is read, to tell that there are more.
	out, err := r.tools.run(ctx, data, "pdftotext", "-layout", "-enc", "UTF-8", "-l", strconv.Itoa(r.cfg.MaxPages+1), "-", "-")
	if err != nil {
		if ctx.Err() != nil {
			return Detail{}, ctx.Err()
		}
		if errors.Is(err, ErrToolTimeout) {
			return Detail{}, fmt.Errorf("%s: %w", name, err)
		}
		if strings.Contains(strings.ToLower(err.Error()), "password") {
			return Detail{}, derrors.Refuse(derrors.EncryptedDocument, "%s: the PDF is encrypted", name)
		}
		return Detail{}, corrupt(name, "unreadable PDF: %v", err)
	}
	texts := strings.Split(strings.TrimSuffix(string(out), "\f"), "\f")
	if len(texts) > r.cfg.MaxPages {
		return Detail{}, derrors.Refuse(derrors.TooLarge, "%s: more than the limit of %d pages", name, r.cfg.MaxPages)
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
// and assembles the Content. Up to Config.OCRWorkers pages are read at
// once; the Content's Confidence is the mean of the pages' (1 for a page
// with a text layer, tesseract's mean word confidence for a scanned one).
func (r *Reader) ocrEmptyPages(ctx context.Context, name string, data []byte, texts []string) (Detail, error) {
	canOCR := r.tools.has("pdftoppm") && r.tools.has("tesseract")
	conf := make([]float64, len(texts))
	var scanned []int
	for i := range texts {
		if countAlnum(texts[i]) >= minPageText {
			conf[i] = 1
			continue
		}
		scanned = append(scanned, i)
	}
	anyText := len(scanned) < len(texts)
	var kept []pipeline.PageImage
	if canOCR && len(scanned) > 0 {
		dir, err := os.MkdirTemp("", "docflow-pdf-")
		if err != nil {
			return Detail{}, err
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "in.pdf")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return Detail{}, err
		}
		images := make([]*pipeline.PageImage, len(texts))
		err = forEachBounded(ctx, len(scanned), r.cfg.OCRWorkers, func(ctx context.Context, k int) error {
			i := scanned[k]
			var keep func(*image.Gray)
			if k < r.cfg.PageImages {
				keep = func(img *image.Gray) { images[i] = pageImage(i+1, img) }
			}
			text, c, err := r.ocrPDFPage(ctx, path, i+1, keep)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if errors.Is(err, ErrToolTimeout) {
					return fmt.Errorf("%s: page %d: %w", name, i+1, err)
				}
				return nil // an unreadable page stays empty
			}
			texts[i], conf[i] = text, c
			return nil
		})
		if err != nil {
			return Detail{}, err
		}
		for _, i := range scanned {
			if countAlnum(texts[i]) > 0 {
				anyText = true
			}
			if images[i] != nil {
				kept = append(kept, *images[i])
			}
		}
		if !anyText {
			return Detail{}, derrors.Refuse(derrors.EmptyDocument, "%s: no text found, even by OCR", name)
		}
	}
	c := pipeline.Content{Text: strings.Join(texts, "\f"), Format: "pdf", Pages: len(texts), Images: kept}
	if len(texts) > 0 {
		sum := 0.0
		for _, v := range conf {
			sum += v
		}
		c.Confidence = sum / float64(len(texts))
	}
	if len(scanned)*2 > len(texts) {
		c.Format = "scan"
	}
	return Detail{Content: c, PageConfidence: conf}, nil
}

// forEachBounded calls fn(ctx, 0..n-1) on up to workers goroutines. The
// first error cancels the calls not yet started and is returned.
func forEachBounded(ctx context.Context, n, workers int, fn func(context.Context, int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
		next  atomic.Int64
	)
	for range min(max(workers, 1), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, k); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		// The parent was cancelled: report it rather than half a result.
		return ctx.Err()
	}
	return first
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
