package rules

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/prefilter"
	"golang.org/x/text/unicode/norm"
)

// doc is a text split into lines, each with a folded copy (lower case, no
// accents) of the same length in runes, so that a match found in the folded
// line points at the same runes in the raw line.
type doc struct {
	lines []line
	// usDates is set when numeric dates are printed month first.
	usDates bool
	// flatFold, flatRaw and flatLineOf cache flat.
	flatFold   string
	flatRaw    []rune
	flatLineOf []int
}

type line struct {
	raw  []rune
	fold string
	// num is the 1-based number of the line in the whole text and page its
	// 1-based page, as Source reports them (see newDoc).
	num, page int
}

// newDoc splits text into lines. Lines end at "\n" (or "\r\n"); a form
// feed ("\f") starts a new page and, when it does not follow a line end,
// also ends the line. Each line keeps its number in the whole text and its
// page; a form feed at the start of a line also leaves an empty line of its
// own in lines (so that pages stay apart), numbered like the next one.
func newDoc(text string) *doc {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	d := &doc{}
	num, page := 1, 1
	start, startNum, startPage := 0, 1, 1
	emit := func(end int) {
		raw := []rune(strings.TrimRight(text[start:end], " \t\r"))
		f := make([]rune, len(raw))
		for i, r := range raw {
			f[i] = foldRune(r)
		}
		d.lines = append(d.lines, line{raw: raw, fold: string(f), num: startNum, page: startPage})
	}
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '\n':
			emit(i)
			num++
		case '\f':
			atLineStart := i == 0 || text[i-1] == '\n' || text[i-1] == '\f'
			emit(i)
			page++
			if !atLineStart {
				num++
			}
		default:
			continue
		}
		start, startNum, startPage = i+1, num, page
	}
	emit(len(text))
	d.monthFirst()
	return d
}

// reSlashDate finds a numeric date with slashes, for telling day-first
// from month-first documents.
var reSlashDate = prefilter.MustCompile(`\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b`)

// monthFirst reads the numeric dates of a document written month first
// (US: 04/17/2026) as day first, by swapping day and month in the folded
// lines (the raw lines are kept). A document is month first only when one
// of its dates cannot be read day first (second part above 12) and none
// can be read only day first; an ambiguous document (03/02/2026 alone) is
// read day first, as French documents are.
func (d *doc) monthFirst() {
	us, eu := false, false
	for _, l := range d.lines {
		for _, m := range reSlashDate.FindAllStringSubmatch(l.fold, -1) {
			a, _ := strconv.Atoi(m[1])
			b, _ := strconv.Atoi(m[2])
			switch {
			case a > 12 && a <= 31 && b >= 1 && b <= 12:
				eu = true
			case b > 12 && b <= 31 && a >= 1 && a <= 12:
				us = true
			}
		}
	}
	if !us || eu {
		return
	}
	d.usDates = true
	for i, l := range d.lines {
		d.lines[i].fold = reSlashDate.ReplaceAllString(l.fold, "$2/$1/$3")
	}
}

// foldRune lower-cases r and strips its accents, keeping one rune for one.
func foldRune(r rune) rune {
	switch r {
	case '’', 'ʼ', '‘', '`', '´':
		return '\''
	case '\u00a0', '\u202f', '\u2007':
		return ' '
	case '–', '—', '‐', '‑':
		return '-'
	case 'º':
		return '°'
	}
	r = unicode.ToLower(r)
	if r < 0x80 {
		return r
	}
	d := norm.NFD.String(string(r))
	if first, n := utf8.DecodeRuneInString(d); n < len(d) {
		rest := d[n:]
		allMarks := true
		for _, m := range rest {
			if !unicode.Is(unicode.Mn, m) {
				allMarks = false
			}
		}
		if allMarks {
			return first
		}
	}
	return r
}

// fold folds a whole string like foldRune.
func fold(s string) string {
	rs := []rune(s)
	for i, r := range rs {
		rs[i] = foldRune(r)
	}
	return string(rs)
}

// runeIndex converts a byte offset in s to a rune offset.
func runeIndex(s string, b int) int { return utf8.RuneCountInString(s[:b]) }

// span is a stretch of runes in one line.
type span struct {
	line, start, end int
}

// text returns the raw text of a span.
func (d *doc) text(s span) string {
	return string(d.lines[s.line].raw[s.start:s.end])
}

// find returns the spans of re's matches on each line, in order.
func (d *doc) find(re *prefilter.Regexp) []span {
	var out []span
	for i, l := range d.lines {
		for _, m := range re.FindAllStringIndex(l.fold, -1) {
			out = append(out, span{i, runeIndex(l.fold, m[0]), runeIndex(l.fold, m[1])})
		}
	}
	return out
}

// cellEnd returns where the cell that starts at rune i of the line ends: at
// a tab, a " | " separator or a run of gap or more spaces.
func cellEnd(raw []rune, i, gap int) int {
	spaces := 0
	for j := i; j < len(raw); j++ {
		switch {
		case raw[j] == '\t':
			return j - spaces
		case raw[j] == '|' && (j == 0 || raw[j-1] == ' '):
			return j - spaces
		case raw[j] == ' ':
			spaces++
			if spaces >= gap {
				return j - spaces + 1
			}
		default:
			spaces = 0
		}
	}
	return len(raw) - spaces
}

// skipSeparators skips white space and the punctuation that separates a
// label from its value (":", "|", ".", "-", "=", "#").
func skipSeparators(raw []rune, i int) int {
	for i < len(raw) {
		switch raw[i] {
		case ' ', '\t', ':', '|', '.', '-', '–', '—', '=', '#', '：', '»':
			i++
		default:
			return i
		}
	}
	return i
}

// cellAt returns the cell of a line that covers or starts nearest after
// column col (within tolerance), or "" when there is none.
func (d *doc) cellAt(li, col, tolerance, gap int) (string, int) {
	if li < 0 || li >= len(d.lines) {
		return "", -1
	}
	raw := d.lines[li].raw
	best, bestStart, bestDist := "", -1, tolerance+1
	for _, c := range cells(raw, gap) {
		dist := abs(c[0] - col)
		if c[0] <= col && col < c[1] {
			dist = 0
		}
		if dist < bestDist {
			best, bestStart, bestDist = string(raw[c[0]:c[1]]), c[0], dist
		}
	}
	return best, bestStart
}

// cells splits a line into the [start, end) rune ranges of its cells.
func cells(raw []rune, gap int) [][2]int {
	var out [][2]int
	i := 0
	for i < len(raw) {
		for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '|') {
			i++
		}
		if i >= len(raw) {
			break
		}
		e := cellEnd(raw, i, gap)
		if e <= i {
			e = i + 1
		}
		out = append(out, [2]int{i, e})
		i = e
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// blank reports whether line i is empty or beyond the text.
func (d *doc) blank(i int) bool {
	return i < 0 || i >= len(d.lines) || strings.TrimSpace(d.lines[i].fold) == ""
}

// joined returns the folded and raw text of all lines joined by "\n", and
// the start of each line in runes, for matches that cross line ends.
func (d *doc) joined() (foldText string, raw []rune, starts []int) {
	var fb strings.Builder
	for i, l := range d.lines {
		if i > 0 {
			fb.WriteByte('\n')
			raw = append(raw, '\n')
		}
		starts = append(starts, len(raw))
		fb.WriteString(l.fold)
		raw = append(raw, l.raw...)
	}
	return fb.String(), raw, starts
}

// position returns the line and column of rune offset r in the joined text.
func position(starts []int, r int) (int, int) {
	li := 0
	for i, s := range starts {
		if s <= r {
			li = i
		} else {
			break
		}
	}
	return li, r - starts[li]
}

// valueEdges is the punctuation that never begins or ends a value but is
// often left around one: the separators between a label and its value
// (":", "=", "|", dashes), quotation marks, typographic ones included
// ("’: Saumur" where OCR read a speck before the colon), brackets, and the
// bullets and specks OCR prints at the edge of a box.
const valueEdges = " ,;:|.-–—=»«\"'()’‘‛“”„‚‹›´`*•·~_"

// clean trims a value of white space and of the punctuation around it, and
// collapses runs of spaces.
func clean(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.Trim(s, valueEdges)
}

// flat returns the folded and raw text with line ends turned into spaces,
// for prose that wraps: the runes of both stay aligned, and flatLine gives
// the line of each. A line that continues the paragraph of the line above
// it (a long line of prose, starting at the same column within two) loses
// its indentation, as a wrapped line of a text layer has none: OCR keeps
// the paragraph's left margin, which would otherwise read as a gap between
// cells ("la société Menuiseries" / "     Essai SARL, ...").
func (d *doc) flat() (string, []rune) {
	if d.flatRaw != nil {
		return d.flatFold, d.flatRaw
	}
	var fb strings.Builder
	raw, lineOf := []rune{}, []int{}
	indent := func(i int) int {
		n := 0
		for _, r := range d.lines[i].raw {
			if r != ' ' && r != '\t' {
				break
			}
			n++
		}
		return n
	}
	for i, l := range d.lines {
		skip := 0
		if i > 0 {
			fb.WriteByte(' ')
			raw, lineOf = append(raw, ' '), append(lineOf, i-1)
			if in := indent(i); in > 0 && !d.blank(i) && d.wraps(i-1) && abs(in-indent(i-1)) <= 2 {
				skip = in
			}
		}
		fr := []rune(l.fold)
		fb.WriteString(string(fr[skip:]))
		raw = append(raw, l.raw[skip:]...)
		for range len(l.raw) - skip {
			lineOf = append(lineOf, i)
		}
	}
	d.flatFold, d.flatRaw, d.flatLineOf = fb.String(), raw, lineOf
	return d.flatFold, d.flatRaw
}

// wraps reports whether line i reads like a line of prose that wraps onto
// the next: one cell of at least 40 runes.
func (d *doc) wraps(i int) bool {
	cs := cells(d.lines[i].raw, gap)
	return len(cs) == 1 && cs[0][1]-cs[0][0] >= 40
}

// flatLine returns the line of rune r of the flat text.
func (d *doc) flatLine(r int) int {
	d.flat()
	if len(d.flatLineOf) == 0 {
		return -1
	}
	return d.flatLineOf[min(max(r, 0), len(d.flatLineOf)-1)]
}

// maxSourceText is the most runes of text a Source carries.
const maxSourceText = 200

// source returns where a found value came from: its line's page and number,
// and the text as printed (the line itself when the value kept none).
func (d *doc) source(f found) pipeline.Source {
	if f.line < 0 || f.line >= len(d.lines) {
		return pipeline.Source{Text: clip(f.text)}
	}
	l := d.lines[f.line]
	t := clip(f.text)
	if t == "" {
		t = clip(string(l.raw))
	}
	return pipeline.Source{Page: l.page, Line: l.num, Text: t}
}

// clip trims s and cuts it to maxSourceText runes.
func clip(s string) string {
	s = strings.TrimSpace(s)
	if rs := []rune(s); len(rs) > maxSourceText {
		s = strings.TrimSpace(string(rs[:maxSourceText]))
	}
	return s
}

// lineOfRune returns the line that holds rune offset r of the joined text.
func (d *doc) lineOfRune(r int) int {
	n := 0
	for i, l := range d.lines {
		n += len(l.raw) + 1
		if r < n {
			return i
		}
	}
	return len(d.lines) - 1
}

// squeezed returns the folded text with every run of white space (line
// ends included) turned into one space, and the line of each of its bytes,
// for prose patterns that may wrap.
func (d *doc) squeezed() (string, []int) {
	var b strings.Builder
	var lineOf []int
	for i, l := range d.lines {
		for _, w := range strings.Fields(l.fold) {
			if b.Len() > 0 {
				b.WriteByte(' ')
				lineOf = append(lineOf, i)
			}
			b.WriteString(w)
			for range len(w) {
				lineOf = append(lineOf, i)
			}
		}
	}
	return b.String(), lineOf
}

// lineAt returns the line of byte offset b of a squeezed text.
func lineAt(lineOf []int, b int) int {
	if len(lineOf) == 0 {
		return -1
	}
	return lineOf[min(max(b, 0), len(lineOf)-1)]
}

// dates folds a value for findDates and parseDate, swapping day and month
// of numeric dates in a month-first document as the folded lines are.
func (d *doc) dates(s string) string {
	s = fold(s)
	if d.usDates {
		s = reSlashDate.ReplaceAllString(s, "$2/$1/$3")
	}
	return s
}
