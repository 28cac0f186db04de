package desk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/docflow/docflow/extractors/reader"
)

// pageRenderer turns PDF pages into PNG images (pdftoppm) and word boxes
// (pdftotext -bbox-layout), cached on disk per tenant and file hash, so a
// page is rendered once whoever looks at it.
type pageRenderer struct {
	dir   string
	locks sync.Map // cache path -> *sync.Mutex
}

func newPageRenderer(dataDir string) *pageRenderer {
	return &pageRenderer{dir: filepath.Join(dataDir, "pages")}
}

// toolTimeout bounds one run of a poppler tool.
const toolTimeout = 30 * time.Second

var safeName = regexp.MustCompile(`^[0-9a-zA-Z-]+$`)

// cached returns the cache file name of a document's artefact, making it
// with make (which writes the PDF's product to the given path) once.
func (p *pageRenderer) cached(tenantID, sha, name string, make func(path string) error) ([]byte, error) {
	if !safeName.MatchString(tenantID) || !safeName.MatchString(sha) {
		return nil, fmt.Errorf("desk: bad cache key %q/%q", tenantID, sha)
	}
	path := filepath.Join(p.dir, tenantID, sha, name)
	if b, err := os.ReadFile(path); err == nil {
		return b, nil
	}
	mu, _ := p.locks.LoadOrStore(path, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	if b, err := os.ReadFile(path); err == nil {
		return b, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	tmp := path + ".tmp"
	if err := make(tmp); err != nil {
		os.Remove(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

// withPDF writes the PDF to a temporary file for a tool that wants a path.
func withPDF(pdf []byte, fn func(path string) error) error {
	f, err := os.CreateTemp("", "docflow-desk-*.pdf")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(pdf); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return fn(f.Name())
}

func runTool(ctx context.Context, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, toolTimeout)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %s", name, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, nil
}

// PageCount returns the number of pages of a PDF (pdfinfo).
func (p *pageRenderer) PageCount(ctx context.Context, tenantID, sha string, pdf []byte) (int, error) {
	b, err := p.cached(tenantID, sha, "pages.txt", func(out string) error {
		return withPDF(pdf, func(in string) error {
			info, err := runTool(ctx, "pdfinfo", in)
			if err != nil {
				return err
			}
			m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(info)
			if m == nil {
				return fmt.Errorf("pdfinfo: no page count")
			}
			return os.WriteFile(out, m[1], 0o600)
		})
	})
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(string(b))
}

// PNG returns page n rendered at 100 dpi.
func (p *pageRenderer) PNG(ctx context.Context, tenantID, sha string, pdf []byte, n int) ([]byte, error) {
	return p.cached(tenantID, sha, fmt.Sprintf("page-%d.png", n), func(out string) error {
		return withPDF(pdf, func(in string) error {
			png, err := runTool(ctx, "pdftoppm", "-r", "100", "-png", "-f", strconv.Itoa(n), "-l", strconv.Itoa(n), "-singlefile", in)
			if err != nil {
				return err
			}
			return os.WriteFile(out, png, 0o600)
		})
	})
}

// BBox returns the words of page n with their boxes (pdftotext -bbox-layout).
func (p *pageRenderer) BBox(ctx context.Context, tenantID, sha string, pdf []byte, n int) (pageWords, error) {
	b, err := p.cached(tenantID, sha, fmt.Sprintf("bbox-%d.html", n), func(out string) error {
		return withPDF(pdf, func(in string) error {
			html, err := runTool(ctx, "pdftotext", "-bbox-layout", "-enc", "UTF-8", "-f", strconv.Itoa(n), "-l", strconv.Itoa(n), in, "-")
			if err != nil {
				return err
			}
			return os.WriteFile(out, html, 0o600)
		})
	})
	if err != nil {
		return pageWords{}, err
	}
	pw, err := parseBBox(b)
	if err != nil || wordCount(pw) > 0 {
		return pw, err
	}
	return p.ocrWords(ctx, tenantID, sha, pdf, n)
}

func wordCount(p pageWords) int {
	n := 0
	for _, l := range p.Lines {
		n += len(l)
	}
	return n
}

// ocrWords reads a page without a text layer (a scan) as the reader does,
// so that the words carry the same text as the fields' sources, and keeps
// their boxes.
func (p *pageRenderer) ocrWords(ctx context.Context, tenantID, sha string, pdf []byte, n int) (pageWords, error) {
	b, err := p.cached(tenantID, sha, fmt.Sprintf("ocrwords-%d.json", n), func(out string) error {
		w, h, lines, err := reader.New(reader.Config{}).PageWords(ctx, pdf, n)
		if err != nil {
			return err
		}
		pw := pageWords{Width: w, Height: h}
		for _, l := range lines {
			var ws []word
			for _, x := range l {
				ws = append(ws, word{Text: x.Text, XMin: x.XMin, YMin: x.YMin, XMax: x.XMax, YMax: x.YMax})
			}
			pw.Lines = append(pw.Lines, ws)
		}
		js, err := json.Marshal(pw)
		if err != nil {
			return err
		}
		return os.WriteFile(out, js, 0o600)
	})
	if err != nil {
		return pageWords{}, err
	}
	var pw pageWords
	return pw, json.Unmarshal(b, &pw)
}

// Text returns the PDF's text as the reader reads it (pdftotext -layout),
// for the text view where a box cannot be found.
func (p *pageRenderer) Text(ctx context.Context, tenantID, sha string, pdf []byte) (string, error) {
	b, err := p.cached(tenantID, sha, "text.txt", func(out string) error {
		return withPDF(pdf, func(in string) error {
			txt, err := runTool(ctx, "pdftotext", "-layout", "-enc", "UTF-8", in, "-")
			if err != nil {
				return err
			}
			return os.WriteFile(out, txt, 0o600)
		})
	})
	return string(b), err
}
