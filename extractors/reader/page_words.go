package reader

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
)

// Word is a word OCR read on a page, with its box in points (1/72 inch)
// from the page's top left corner.
type Word struct {
	Text                   string
	XMin, YMin, XMax, YMax float64
}

// PageWords OCRs one page of a PDF the way Read does (same rendering,
// cleaning and passes), and returns the page's size in points and its
// lines of words with their boxes, so that a reviewer's screen can box a
// field's source on a scanned page.
func (r *Reader) PageWords(ctx context.Context, pdf []byte, page int) (width, height float64, lines [][]Word, err error) {
	if !r.tools.has("pdftoppm") || !r.tools.has("tesseract") {
		return 0, 0, nil, fmt.Errorf("OCR tools are not installed")
	}
	dir, err := os.MkdirTemp("", "docflow-words-")
	if err != nil {
		return 0, 0, nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		return 0, 0, nil, err
	}
	p := strconv.Itoa(page)
	pgm, err := r.tools.run(ctx, nil, "pdftoppm", "-r", strconv.Itoa(r.cfg.OCRDPI), "-gray", "-singlefile", "-f", p, "-l", p, path)
	if err != nil {
		return 0, 0, nil, err
	}
	img, err := decodePGM(pgm)
	if err != nil {
		return 0, 0, nil, err
	}
	cleaned := cleanPage(img, r.cfg.OCRDPI)
	words, err := r.ocrCleanedWords(ctx, cleaned)
	if err != nil {
		return 0, 0, nil, err
	}
	scale := 72 / float64(r.cfg.OCRDPI)
	index := map[[4]int]int{}
	for _, w := range words {
		if w.speck || w.text == "" {
			continue
		}
		i, ok := index[w.line]
		if !ok {
			i = len(lines)
			index[w.line] = i
			lines = append(lines, nil)
		}
		lines[i] = append(lines[i], Word{Text: w.text, XMin: float64(w.left) * scale, YMin: float64(w.top) * scale,
			XMax: float64(w.left+w.width) * scale, YMax: float64(w.top+w.height) * scale})
	}
	for _, l := range lines {
		sort.Slice(l, func(i, j int) bool { return l[i].XMin < l[j].XMin })
	}
	b := cleaned.Bounds()
	return float64(b.Dx()) * scale, float64(b.Dy()) * scale, lines, nil
}
