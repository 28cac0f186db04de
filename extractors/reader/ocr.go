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
	line                     [4]int // page, block, paragraph, line
	left, top, width, height int
	conf                     float64
	text                     string
}

// parseTSV reads the word rows (level 5) of tesseract's TSV output,
// dropping low-confidence specks of punctuation.
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
		if conf < 30 && countAlnum(text) == 0 {
			continue
		}
		words = append(words, ocrWord{line: [4]int{n[1], n[2], n[3], n[4]}, left: n[6], top: n[7], width: n[8], height: n[9], conf: conf, text: text})
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

// layoutWords keeps tesseract's lines and places each word at the column
// its left edge falls on, so that tables and two-column panels keep their
// shape, as with pdftotext -layout.
func layoutWords(words []ocrWord) string {
	if len(words) == 0 {
		return ""
	}
	charW := charWidth(words)
	var lines [][]ocrWord
	index := map[[4]int]int{}
	for _, w := range words {
		i, ok := index[w.line]
		if !ok {
			i = len(lines)
			index[w.line] = i
			lines = append(lines, nil)
		}
		lines[i] = append(lines[i], w)
	}
	var b strings.Builder
	page := lines[0][0].line[0]
	for _, l := range lines {
		if l[0].line[0] != page {
			page = l[0].line[0]
			b.WriteString("\f")
		}
		sort.SliceStable(l, func(i, j int) bool { return l[i].left < l[j].left })
		col := 0
		for i, w := range l {
			pad := int(math.Round(float64(w.left)/charW)) - col
			switch {
			case i == 0:
				pad = min(max(pad, 0), 80)
			case float64(w.left-l[i-1].left-l[i-1].width) < 1.6*charW:
				pad = 1 // a space between words of one phrase
			default:
				pad = max(pad, 3) // a gap between cells
			}
			b.WriteString(strings.Repeat(" ", pad))
			b.WriteString(w.text)
			col += pad + len([]rune(w.text))
		}
		b.WriteByte('\n')
	}
	return b.String()
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
