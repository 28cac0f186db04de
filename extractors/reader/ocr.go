package reader

import (
	"context"
	"fmt"
	"image"
	"math"
	"sort"
	"strconv"
	"strings"
)

// ocrPSM is tesseract's page segmentation mode: 6 reads the page as one
// uniform block, which keeps the rows of forms and tables together. On the
// development scans it beat 3 (automatic) and 4 (one column) by 8 to 10
// points of field accuracy, and 11 (sparse text) loses the lines.
const ocrPSM = "6"

// ocrPDFPage renders one page of the PDF at path to a grey image, cleans
// it (cleanPage) and reads it. The image goes through pipes as PGM:
// pdftoppm's PNG encoder alone took most of the time of a page.
func (r *Reader) ocrPDFPage(ctx context.Context, path string, page int, keep func(*image.Gray)) (string, float64, error) {
	p := strconv.Itoa(page)
	pgm, err := r.tools.run(ctx, nil, "pdftoppm", "-r", strconv.Itoa(r.cfg.OCRDPI), "-gray", "-singlefile", "-f", p, "-l", p, path)
	if err != nil {
		return "", 0, err
	}
	img, err := decodePGM(pgm)
	if err != nil {
		return "", 0, fmt.Errorf("pdftoppm output: %w", err)
	}
	pgm = nil // let the raw image go before the cleaned one is made
	cleaned := cleanPage(img, r.cfg.OCRDPI)
	if keep != nil {
		keep(cleaned)
	}
	return r.ocrCleaned(ctx, cleaned)
}

// ocrCleaned reads a cleaned page (cleanPage) in two passes: the whole
// page, then again the parts it read badly or not at all (reread).
func (r *Reader) ocrCleaned(ctx context.Context, img *image.Gray) (string, float64, error) {
	words, err := r.ocrCleanedWords(ctx, img)
	if err != nil {
		return "", 0, err
	}
	return layoutWords(words), meanConfidence(words), nil
}

// ocrCleanedWords returns the words of a cleaned page, read in two passes.
func (r *Reader) ocrCleanedWords(ctx context.Context, img *image.Gray) ([]ocrWord, error) {
	words, err := r.ocrWords(ctx, encodePGM(img))
	if err != nil {
		return nil, err
	}
	return r.reread(ctx, img, words), nil
}

// ocrWords runs tesseract on an image and returns its words.
func (r *Reader) ocrWords(ctx context.Context, img []byte) ([]ocrWord, error) {
	r.tools.init()
	out, err := r.tools.run(ctx, img, "tesseract", "stdin", "stdout", "-l", r.tools.langs, "--psm", ocrPSM, "tsv")
	if err != nil {
		return nil, err
	}
	return parseTSV(string(out)), nil
}

// ocrWord is one word of tesseract's TSV output.
type ocrWord struct {
	line                     [4]int // page, block, paragraph, line
	left, top, width, height int
	conf                     float64
	text                     string
	// speck marks a doubtful speck of punctuation: not printed, but the
	// words on either side of it still count as neighbours.
	speck bool
}

// parseTSV reads the word rows (level 5) of tesseract's TSV output,
// marking low-confidence specks of punctuation and cleaning the words
// (cleanWord).
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
		speck := conf < 30 && countAlnum(text) == 0
		if !speck {
			text = cleanWord(text)
			speck = text == ""
		}
		words = append(words, ocrWord{line: [4]int{n[1], n[2], n[3], n[4]}, left: n[6], top: n[7], width: n[8], height: n[9], conf: conf, text: text, speck: speck})
	}
	return words
}

// meanConfidence is the mean of the words' confidences, as 0..1.
func meanConfidence(words []ocrWord) float64 {
	sum, n := 0.0, 0
	for _, w := range words {
		if w.conf >= 0 && !w.speck {
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
		col, first := 0, true
		// phrase holds while the gaps since the last printed word, specks
		// included, are all narrow: the words belong to one phrase.
		phrase, prevEnd := false, 0
		for _, w := range l {
			narrow := float64(w.left-prevEnd) < 1.6*charW
			if w.speck {
				phrase = phrase && narrow
				prevEnd = max(prevEnd, w.left+w.width)
				continue
			}
			pad := int(math.Round(float64(w.left)/charW)) - col
			switch {
			case first:
				pad = min(max(pad, 0), 80)
			case phrase && narrow:
				pad = 1 // a space between words of one phrase
			default:
				pad = max(pad, 3) // a gap between cells
			}
			b.WriteString(strings.Repeat(" ", pad))
			b.WriteString(w.text)
			col += pad + len([]rune(w.text))
			first, phrase, prevEnd = false, true, w.left+w.width
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

// Quotation marks that OCR makes of specks of dust next to a word.
const (
	openQuotes  = "‘“`"
	closeQuotes = "’”"
)

// cleanWord undoes OCR confusions that no document means:
//   - an opening quotation mark at the end of a word, or a closing one at
//     its start, is a speck, and so is a mark that opens or closes nothing
//     ("‘Entreprise", "Manutentionnaire’"); a word like “this” keeps both;
//   - in a run of digits, O and o stand for 0, and l and I inside the run
//     for 1 (fixDigitRun).
func cleanWord(s string) string {
	s = strings.TrimRight(s, openQuotes)
	s = strings.TrimLeft(s, closeQuotes)
	if r := []rune(s); len(r) > 1 && strings.ContainsRune(closeQuotes, r[len(r)-1]) && !strings.ContainsAny(s, openQuotes) {
		s = string(r[:len(r)-1])
	}
	if r := []rune(s); len(r) > 1 && strings.ContainsRune(openQuotes, r[0]) && !strings.ContainsAny(s, closeQuotes) {
		s = string(r[1:])
	}
	return fixDigitRun(s)
}

// fixDigitRun maps letters that look like digits to digits in a word made
// only of at least two digits, such letters and number punctuation
// (".,:/-h€%"), fewer letters than digits: "2O26" becomes "2026", "1l:30"
// "11:30". l and I at either end of the word are left alone, as they may
// be the rule of a table cell.
func fixDigitRun(s string) string {
	r := []rune(s)
	digits, lookalike := 0, 0
	for _, c := range r {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case strings.ContainsRune("OolI", c):
			lookalike++
		case strings.ContainsRune(".,:/-h€%", c):
		default:
			return s
		}
	}
	if digits < 2 || lookalike == 0 || lookalike >= digits {
		return s
	}
	for i, c := range r {
		switch {
		case c == 'O' || c == 'o':
			r[i] = '0'
		case (c == 'l' || c == 'I') && i > 0 && i < len(r)-1:
			r[i] = '1'
		}
	}
	return string(r)
}
