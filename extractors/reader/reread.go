package reader

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// A second OCR pass over the parts of a page that the first pass read
// badly or not at all. On a page read as one block (psm 6), tesseract
// now and then drops a table cell or a whole row, or reads a cell that
// touches a rule as garbage ("ETES" for "2026-07-03"). Read alone, cut
// from the cleaned page to the height of its line, such a cell usually
// comes out right. The pass reads
//   - words of low confidence, cropped to their line's band of text, and
//     replaces them when the second reading is much more confident;
//   - clusters of ink the size of text that no word of the first pass
//     covers, and adds the confident words found there to the line at
//     their height, or to a new line.
//
// All the crops of a page go to one tesseract run (a list of images read
// as single lines, psm 7).

const (
	// rereadBelow is the confidence under which a word is read again.
	rereadBelow = 60
	// rereadGain is how much more confident the second reading of a word
	// must be to replace it.
	rereadGain = 15
	// rereadMinConf is the confidence each word of the second reading
	// needs to replace the first.
	rereadMinConf = 75
	// gapMinConf is the confidence a word found in uncovered ink needs.
	gapMinConf = 70
	// maxRereads bounds the crops read again on one page.
	maxRereads = 120
)

// rereadTarget is a part of the page to read again.
type rereadTarget struct {
	rect    image.Rectangle
	replace int // index of the word it replaces, or -1 for uncovered ink
}

// reread reads again the doubtful words and the uncovered ink of img, the
// cleaned (binarized) page that gave words, and returns words with the
// readings it keeps. Any failure leaves words as they are.
func (r *Reader) reread(ctx context.Context, img *image.Gray, words []ocrWord) []ocrWord {
	h := textHeight(words)
	if h == 0 || img == nil || img.Bounds().Min != (image.Point{}) {
		return words
	}
	bands := lineBands(words, h)
	var targets []rereadTarget
	b := img.Bounds()
	pad := max(2, h*3/10)
	for i, w := range words {
		if w.speck || w.conf >= rereadBelow || countAlnum(w.text) == 0 {
			continue
		}
		rect := image.Rect(w.left, w.top, w.left+w.width, w.top+w.height)
		if bd, ok := bands[w.line]; ok {
			rect.Min.Y, rect.Max.Y = bd[0], bd[1]
		}
		if rect.Dy() > 2*h {
			continue // not a line of text
		}
		if overlapsNeighbour(words, i) {
			continue // its box holds ink of the next word: it would be read twice
		}
		// Tight on the sides, not to take in a neighbour's ink.
		rect = image.Rect(rect.Min.X-2, rect.Min.Y-pad, rect.Max.X+2, rect.Max.Y+pad).Intersect(b)
		targets = append(targets, rereadTarget{rect: rect, replace: i})
	}
	for _, rect := range uncoveredInk(img, words, h) {
		rect = image.Rect(rect.Min.X-pad, rect.Min.Y-pad, rect.Max.X+pad, rect.Max.Y+pad).Intersect(b)
		targets = append(targets, rereadTarget{rect: rect, replace: -1})
	}
	if len(targets) == 0 {
		return words
	}
	if len(targets) > maxRereads {
		targets = targets[:maxRereads]
	}
	found, err := r.ocrCrops(ctx, img, targets)
	if err != nil {
		return words
	}
	return mergeRereads(words, targets, found, h)
}

// mergeRereads puts the second readings found[k] of targets[k] into words.
func mergeRereads(words []ocrWord, targets []rereadTarget, found [][]ocrWord, h int) []ocrWord {
	replaced := map[int][]ocrWord{}
	var added []ocrWord
	for k, t := range targets {
		var keep []ocrWord
		low := 1000.0 // the lowest confidence of a word with letters or digits
		for _, w := range found[k] {
			if w.speck {
				continue
			}
			keep = append(keep, w)
			if countAlnum(w.text) > 0 {
				low = min(low, w.conf)
			}
		}
		if low > 100 {
			continue
		}
		if t.replace >= 0 {
			old := words[t.replace]
			if low >= old.conf+rereadGain && low >= rereadMinConf && !sameLetters(old.text, keep) {
				for i := range keep {
					keep[i].line = old.line
				}
				replaced[t.replace] = keep
			}
			continue
		}
		for _, w := range keep {
			if w.conf >= gapMinConf && countAlnum(w.text) >= 2 && !overlapsWord(words, w) {
				added = append(added, w)
			}
		}
	}
	if len(replaced) == 0 && len(added) == 0 {
		return words
	}
	out := make([]ocrWord, 0, len(words)+len(added))
	for i, w := range words {
		if ws, ok := replaced[i]; ok {
			out = append(out, ws...)
			continue
		}
		out = append(out, w)
	}
	return addWords(out, added, h)
}

// overlapsNeighbour reports whether words[i] overlaps another word of its
// line, other than a speck.
func overlapsNeighbour(words []ocrWord, i int) bool {
	w := words[i]
	for j, o := range words {
		if j != i && !o.speck && o.line == w.line && o.left < w.left+w.width && w.left < o.left+o.width {
			return true
		}
	}
	return false
}

// sameLetters reports whether the words ws spell old, but for accents,
// case and punctuation. The first reading then stays: read with its
// neighbours, it has the better accents ("Inès", not "Inés").
func sameLetters(old string, ws []ocrWord) bool {
	var b strings.Builder
	for _, w := range ws {
		b.WriteString(w.text)
	}
	return foldLetters(old) == foldLetters(b.String())
}

// foldLetters keeps the letters and digits of s, in lower case and
// without accents.
func foldLetters(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			continue
		}
		if i := strings.IndexRune(accented, r); i >= 0 {
			r = []rune(unaccented)[len([]rune(accented[:i]))]
		}
		b.WriteRune(r)
	}
	return b.String()
}

const (
	accented   = "àâäáãåçéèêëíìîïñóòôöõúùûüýÿœæ"
	unaccented = "aaaaaaceeeeiiiinooooouuuuyyoa"
)

// overlapsWord reports whether w lies, even in part, on a word of words
// other than a speck: the ink of a word whose box tesseract drew too
// small, read twice.
func overlapsWord(words []ocrWord, w ocrWord) bool {
	r := image.Rect(w.left, w.top, w.left+w.width, w.top+w.height)
	for _, o := range words {
		if !o.speck && r.Overlaps(image.Rect(o.left, o.top, o.left+o.width, o.top+o.height)) {
			return true
		}
	}
	return false
}

// addWords adds new words to the line of words whose middle is at their
// height, or else to new lines, placed among the others by height.
func addWords(words, added []ocrWord, h int) []ocrWord {
	if len(added) == 0 {
		return words
	}
	type line struct {
		key    [4]int
		mid    float64
		first  int // index of its first word in words
		onPage int
	}
	var lines []line
	index := map[[4]int]int{}
	sums := map[[4]int][2]float64{}
	for i, w := range words {
		if _, ok := index[w.line]; !ok {
			index[w.line] = len(lines)
			lines = append(lines, line{key: w.line, first: i, onPage: w.line[0]})
		}
		if !w.speck {
			s := sums[w.line]
			sums[w.line] = [2]float64{s[0] + float64(w.top) + float64(w.height)/2, s[1] + 1}
		}
	}
	for i := range lines {
		if s := sums[lines[i].key]; s[1] > 0 {
			lines[i].mid = s[0] / s[1]
		} else {
			lines[i].mid = -1
		}
	}
	page := 1
	if len(words) > 0 {
		page = words[0].line[0]
	}
	sort.Slice(added, func(i, j int) bool { return added[i].top+added[i].height/2 < added[j].top+added[j].height/2 })
	// New lines: added words at the same height share one.
	var newMid []float64
	var newWords [][]ocrWord
	for _, w := range added {
		mid := float64(w.top) + float64(w.height)/2
		best, dist := -1, float64(h)/2
		for i, l := range lines {
			if d := abs(l.mid - mid); l.mid >= 0 && d < dist {
				best, dist = i, d
			}
		}
		if best >= 0 {
			w.line = lines[best].key
			words = append(words, w) // the line keeps its place
			continue
		}
		if n := len(newMid); n > 0 && abs(newMid[n-1]-mid) < float64(h)/2 {
			newWords[n-1] = append(newWords[n-1], w)
			continue
		}
		newMid = append(newMid, mid)
		newWords = append(newWords, []ocrWord{w})
	}
	for k := len(newMid) - 1; k >= 0; k-- {
		at := len(words)
		for _, l := range lines {
			if l.mid > newMid[k] {
				at = l.first
				break
			}
		}
		ws := newWords[k]
		for i := range ws {
			ws[i].line = [4]int{page, -1, -1, k}
		}
		words = append(words[:at], append(ws, words[at:]...)...)
		for i := range lines {
			if lines[i].first >= at {
				lines[i].first += len(ws)
			}
		}
	}
	return words
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// textHeight is the median height of the confidently read words, 0 when
// there are none.
func textHeight(words []ocrWord) int {
	var hs []int
	for _, w := range words {
		if !w.speck && w.conf >= 80 && countAlnum(w.text) >= 2 {
			hs = append(hs, w.height)
		}
	}
	if len(hs) == 0 {
		return 0
	}
	sort.Ints(hs)
	return hs[len(hs)/2]
}

// lineBands returns, for each line with confidently read words of about
// the text's height, the band [top, bottom) those words span (medians).
func lineBands(words []ocrWord, h int) map[[4]int][2]int {
	tops, bottoms := map[[4]int][]int{}, map[[4]int][]int{}
	for _, w := range words {
		if w.speck || w.conf < 80 || countAlnum(w.text) == 0 || w.height > h*3/2 {
			continue
		}
		tops[w.line] = append(tops[w.line], w.top)
		bottoms[w.line] = append(bottoms[w.line], w.top+w.height)
	}
	bands := map[[4]int][2]int{}
	for k, t := range tops {
		bs := bottoms[k]
		sort.Ints(t)
		sort.Ints(bs)
		bands[k] = [2]int{t[len(t)/2], bs[len(bs)/2]}
	}
	return bands
}

// uncoveredInk finds the clusters of ink in img, black on white, that look
// like text of height h and that no word covers: what the first pass
// left out. Rules, frames and drawings, larger than text, are not text;
// nor are clusters without a mark of at least half the text's height.
func uncoveredInk(img *image.Gray, words []ocrWord, h int) []image.Rectangle {
	b := img.Bounds()
	w, ht := b.Dx(), b.Dy()
	if w == 0 || ht == 0 {
		return nil
	}
	// covered marks the pixels of the words' boxes.
	covered := make([]bool, w*ht)
	for _, wd := range words {
		r := image.Rect(wd.left-2, wd.top-2, wd.left+wd.width+2, wd.top+wd.height+2).Intersect(image.Rect(0, 0, w, ht))
		for y := r.Min.Y; y < r.Max.Y; y++ {
			row := covered[y*w:]
			for x := r.Min.X; x < r.Max.X; x++ {
				row[x] = true
			}
		}
	}
	type comp struct {
		r     image.Rectangle
		seed  bool
		group int
	}
	var comps []comp
	maxW, maxH := 4*h, h*8/5
	seen := make([]bool, w*ht)
	var stack []int
	for start := 0; start < w*ht; start++ {
		if seen[start] || img.Pix[img.PixOffset(b.Min.X+start%w, b.Min.Y+start/w)] >= 128 {
			continue
		}
		stack = append(stack[:0], start)
		seen[start] = true
		x0, y0, x1, y1 := w, ht, 0, 0
		n, cov := 0, 0
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x, y := p%w, p/w
			n++
			if covered[p] {
				cov++
			}
			x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x+1), max(y1, y+1)
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, y+dy
					if nx < 0 || ny < 0 || nx >= w || ny >= ht {
						continue
					}
					q := ny*w + nx
					if !seen[q] && img.Pix[img.PixOffset(b.Min.X+nx, b.Min.Y+ny)] < 128 {
						seen[q] = true
						stack = append(stack, q)
					}
				}
			}
		}
		if cov*2 > n || x1-x0 > maxW || y1-y0 > maxH || n < 4 {
			continue
		}
		comps = append(comps, comp{r: image.Rect(x0, y0, x1, y1), seed: y1-y0 >= h/2})
		if len(comps) > 5000 {
			return nil // noise, not text
		}
	}
	// Group marks that stand side by side on one line, less than a space
	// of about the text's height apart.
	sort.Slice(comps, func(i, j int) bool { return comps[i].r.Min.X < comps[j].r.Min.X })
	var groups []image.Rectangle
	var seeds []bool
	for i := range comps {
		c := &comps[i]
		c.group = -1
		mid := (c.r.Min.Y + c.r.Max.Y) / 2
		for g := len(groups) - 1; g >= 0; g-- {
			gr := groups[g]
			gmid := (gr.Min.Y + gr.Max.Y) / 2
			if c.r.Min.X-gr.Max.X < h*4/5 && absInt(mid-gmid) < h*3/5 && c.r.Min.X-gr.Max.X > -h {
				c.group = g
				break
			}
		}
		if c.group < 0 {
			c.group = len(groups)
			groups = append(groups, c.r)
			seeds = append(seeds, c.seed)
			continue
		}
		groups[c.group] = groups[c.group].Union(c.r)
		seeds[c.group] = seeds[c.group] || c.seed
	}
	var out []image.Rectangle
	for g, gr := range groups {
		if seeds[g] && gr.Dy() <= 2*h && gr.Dy() >= h/2 {
			out = append(out, gr.Add(b.Min))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Min.Y != out[j].Min.Y {
			return out[i].Min.Y < out[j].Min.Y
		}
		return out[i].Min.X < out[j].Min.X
	})
	return out
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// cropMargin is the white border put around a crop: tesseract reads text
// that touches the edge of an image badly.
const cropMargin = 10

// ocrCrops reads each target's part of img as one line of text, in one
// tesseract run, and returns the words of each in page coordinates.
func (r *Reader) ocrCrops(ctx context.Context, img *image.Gray, targets []rereadTarget) ([][]ocrWord, error) {
	dir, err := os.MkdirTemp("", "docflow-ocr-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var list strings.Builder
	for k, t := range targets {
		crop := image.NewGray(image.Rect(0, 0, t.rect.Dx()+2*cropMargin, t.rect.Dy()+2*cropMargin))
		for i := range crop.Pix {
			crop.Pix[i] = 255
		}
		for y := t.rect.Min.Y; y < t.rect.Max.Y; y++ {
			src := img.Pix[img.PixOffset(t.rect.Min.X, y):img.PixOffset(t.rect.Max.X, y)]
			copy(crop.Pix[crop.PixOffset(cropMargin, y-t.rect.Min.Y+cropMargin):], src)
		}
		p := filepath.Join(dir, strconv.Itoa(k)+".pgm")
		if err := os.WriteFile(p, encodePGM(crop), 0o600); err != nil {
			return nil, err
		}
		list.WriteString(p + "\n")
	}
	lp := filepath.Join(dir, "list.txt")
	if err := os.WriteFile(lp, []byte(list.String()), 0o600); err != nil {
		return nil, err
	}
	r.tools.init()
	out, err := r.tools.run(ctx, nil, "tesseract", lp, "stdout", "-l", r.tools.langs, "--psm", "7", "tsv")
	if err != nil {
		return nil, err
	}
	found := make([][]ocrWord, len(targets))
	for _, w := range parseTSV(string(out)) {
		k := w.line[0] - 1 // parseTSV keeps the page number first
		if k < 0 || k >= len(targets) {
			continue
		}
		t := targets[k].rect
		w.left += t.Min.X - cropMargin
		w.top += t.Min.Y - cropMargin
		found[k] = append(found[k], w)
	}
	return found, nil
}
