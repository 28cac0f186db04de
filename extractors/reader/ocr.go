package reader

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ocrPSM is tesseract's page segmentation mode: 6 reads the page as one
// uniform block, which keeps the rows of forms and tables together.
const ocrPSM = "6"

// ocrPDFPage renders one page of the PDF at path to a grey PNG and reads it.
func (r *Reader) ocrPDFPage(ctx context.Context, path string, page int) (string, float64, error) {
	dir := filepath.Dir(path)
	prefix := filepath.Join(dir, fmt.Sprintf("page-%d", page))
	p := strconv.Itoa(page)
	if _, err := r.tools.run(ctx, nil, "pdftoppm", "-r", "300", "-gray", "-png", "-singlefile", "-f", p, "-l", p, path, prefix); err != nil {
		return "", 0, err
	}
	img := prefix + ".png"
	defer os.Remove(img)
	return r.ocrFile(ctx, img)
}

// ocrFile reads an image file with tesseract and returns its text, laid out
// like pdftotext -layout, and the mean word confidence 0..1.
func (r *Reader) ocrFile(ctx context.Context, img string) (string, float64, error) {
	r.tools.init()
	out, err := r.tools.run(ctx, nil, "tesseract", img, "stdout", "-l", r.tools.langs, "--psm", ocrPSM, "tsv")
	if err != nil {
		return "", 0, err
	}
	words := parseTSV(string(out))
	return layoutWords(words), meanConfidence(words), nil
}

// ocrWord is one word of tesseract's TSV output.
type ocrWord struct {
	page                     int
	left, top, width, height int
	conf                     float64
	text                     string
}

// parseTSV reads the word rows (level 5) of tesseract's TSV output.
func parseTSV(tsv string) []ocrWord {
	var words []ocrWord
	for _, line := range strings.Split(tsv, "\n") {
		f := strings.Split(strings.TrimRight(line, "\r"), "\t")
		if len(f) < 12 || f[0] != "5" {
			continue
		}
		text := strings.TrimSpace(f[11])
		if text == "" {
			continue
		}
		n := make([]int, 10)
		for i := 0; i < 10; i++ {
			n[i], _ = strconv.Atoi(f[i])
		}
		conf, _ := strconv.ParseFloat(f[10], 64)
		words = append(words, ocrWord{page: n[1], left: n[6], top: n[7], width: n[8], height: n[9], conf: conf, text: text})
	}
	return words
}

// meanConfidence is the mean of the words' confidences, as 0..1.
func meanConfidence(words []ocrWord) float64 {
	sum, n := 0.0, 0
	for _, w := range words {
		if w.conf >= 0 {
			sum += w.conf
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n) / 100
}

// layoutWords groups words into visual lines by their vertical position and
// places each word at the column its left edge falls on, so that tables and
// two-column panels keep their shape.
func layoutWords(words []ocrWord) string {
	if len(words) == 0 {
		return ""
	}
	charW := charWidth(words)
	sort.SliceStable(words, func(i, j int) bool {
		if words[i].page != words[j].page {
			return words[i].page < words[j].page
		}
		return words[i].top+words[i].height/2 < words[j].top+words[j].height/2
	})
	var lines [][]ocrWord
	for _, w := range words {
		mid := w.top + w.height/2
		if k := len(lines) - 1; k >= 0 && lines[k][0].page == w.page && mid <= lineBottom(lines[k]) {
			lines[k] = append(lines[k], w)
			continue
		}
		lines = append(lines, []ocrWord{w})
	}
	var b strings.Builder
	for _, l := range lines {
		sort.Slice(l, func(i, j int) bool { return l[i].left < l[j].left })
		col := 0
		for i, w := range l {
			want := int(math.Round(float64(w.left) / charW))
			pad := want - col
			if i > 0 && pad < 1 {
				pad = 1
			}
			if i == 0 {
				pad = min(max(pad, 0), 80)
			}
			b.WriteString(strings.Repeat(" ", pad))
			b.WriteString(w.text)
			col += pad + len([]rune(w.text))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// lineBottom is the lowest vertical centre that still belongs to the line:
// the mean bottom edge of its words, less a quarter of their height.
func lineBottom(l []ocrWord) int {
	sum, h := 0, 0
	for _, w := range l {
		sum += w.top + w.height
		h += w.height
	}
	return (sum - h/4) / len(l)
}

// charWidth estimates the width of one character in pixels.
func charWidth(words []ocrWord) float64 {
	var ws []float64
	for _, w := range words {
		if n := len([]rune(w.text)); n >= 3 {
			ws = append(ws, float64(w.width)/float64(n))
		}
	}
	if len(ws) == 0 {
		return 25
	}
	sort.Float64s(ws)
	if c := ws[len(ws)/2]; c > 0 {
		return c
	}
	return 25
}
