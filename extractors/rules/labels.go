package rules

import (
	"strings"
	"unicode"

	"github.com/docflow/docflow/pipeline/prefilter"
)

// found is a value found for a field, with where it was and how sure the
// rule is of it.
type found struct {
	value string
	line  int
	col   int // column of the label
	vcol  int // column of the value
	conf  float64
	// text is the value as printed, for the field's Source ("" for the
	// whole line).
	text string
}

// specks are the stray marks OCR prints before a word at the edge of a
// box or a table rule ("-Entreprise", ".Clinique"): a label may follow one.
const specks = `[-.,'~*•·]`

// trimSpecks drops the stray marks before a cell.
func trimSpecks(s string) string { return strings.TrimLeft(s, "-.,'~*•·") }

// gap is the number of spaces that separates two cells of a laid-out line.
const gap = 3

// allLabels holds every label pattern, to tell a label from a value.
var allLabels []*prefilter.Regexp

// label compiles a label pattern (folded text) and registers it.
func label(pattern string) *prefilter.Regexp {
	re := prefilter.MustCompile(`(?:^\s*|[\t|]\s*|\s{2,})[\[(_]?` + specks + `?(` + pattern + `)(?:\b|[\s:.|]|$)`)
	allLabels = append(allLabels, re)
	return re
}

// bareWords are labels of one common word ("Agence", "Client", "Nom"):
// they count as labels only when a colon or a cell gap follows them, not
// inside a name such as "Agence Exemple Intérim".
var bareWords = map[string]bool{
	"agence": true, "agency": true, "client": true, "ett": true, "eu": true, "nom": true,
	"poste": true, "emploi": true, "position": true, "job": true, "site": true, "lieu": true,
	"motif": true, "reason": true, "rate": true, "period": true, "periode": true, "du": true,
	"societe": true, "salarie": true, "interimaire": true, "worker": true, "ref": true,
	"reference": true, "etablissement": true, "collaborateur": true, "intervenant": true,
	"contrat": true, "contract": true,
}

// separated reports whether the runes between a label and its value hold a
// colon, a tab, a bar or a gap of two spaces.
func separated(between []rune) bool {
	s := string(between)
	return strings.ContainsAny(s, ":\t|=") || strings.Contains(s, "  ") || strings.TrimSpace(s) == "" && len(between) == 0
}

// isLabel reports whether a cell starts with a known label.
func isLabel(cell string) bool {
	f := "   " + fold(trimSpecks(strings.TrimSpace(cell)))
	for _, re := range allLabels {
		m := re.FindStringSubmatchIndex(f)
		if m == nil || m[2] > 3 {
			continue
		}
		word := strings.TrimSpace(f[m[2]:m[3]])
		rest := []rune(f[m[3]:])
		if bareWords[word] && len(rest) > 0 && !separated(rest[:min(len(rest), 3)]) {
			continue
		}
		return true
	}
	return false
}

// labelled returns the values that follow the label re, on the same line
// after it, or in the cell below it when the line holds none.
func (d *doc) labelled(re *prefilter.Regexp) []found {
	var out []found
	for li, l := range d.lines {
		if f, ok := d.wrappedLabel(re, li); ok {
			out = append(out, f)
			continue
		}
		for _, m := range re.FindAllStringSubmatchIndex(l.fold, -1) {
			start, end := runeIndex(l.fold, m[2]), runeIndex(l.fold, m[1])
			raw := l.raw
			i := skipSeparators(raw, end)
			word := strings.TrimSpace(string([]rune(l.fold)[start:runeIndex(l.fold, m[3])]))
			if bareWords[word] && i < len(raw) && !separated(raw[runeIndex(l.fold, m[3]):i]) {
				continue
			}
			e := cellEnd(raw, i, gap)
			v := ""
			if i < e {
				v = string(raw[i:e])
			}
			if n := countAlnum(v); n > 0 && n < 3 && e < len(raw) {
				// OCR specks between the label and the value: take the next cell.
				if i2 := skipSeparators(raw, e); i2 < len(raw) {
					v = string(raw[i2:cellEnd(raw, i2, gap)])
				}
			}
			f := found{value: v, line: li, col: start, vcol: i, conf: 0.9}
			if strings.TrimSpace(v) == "" || isLabel(v) {
				f.value, f.line, f.vcol = d.below(li, start)
				f.conf = 0.75
			}
			if strings.TrimSpace(f.value) != "" {
				f.text = f.value
				out = append(out, f)
			}
		}
	}
	return out
}

// below returns the cell under column col in the next non-blank lines; in
// delimited rows (tabs, " | ") the cell of the same index.
func (d *doc) below(li, col int) (string, int, int) {
	idx := -1
	if raw := d.lines[li].raw; strings.ContainsAny(string(raw), "\t|") {
		idx = len(splitDelimited(raw[:col])) - 1
	}
	for k := li + 1; k <= li+3 && k < len(d.lines); k++ {
		if d.blank(k) || strings.Trim(d.lines[k].fold, " -=_") == "" {
			continue
		}
		if idx >= 0 && strings.ContainsAny(string(d.lines[k].raw), "\t|") {
			cs := splitDelimited(d.lines[k].raw)
			if idx < len(cs) {
				return strings.TrimSpace(cs[idx]), k, 0
			}
			return "", li, 0
		}
		c, start := d.cellAt(k, col, 6, gap)
		if c == "" {
			return "", li, 0
		}
		return c, k, start
	}
	return "", li, 0
}

// continued appends the wrapped continuation of a value: the next line's
// cell that starts at the value's column, when that line has nothing at
// the label's column.
func (d *doc) continued(f found, maxLines int) string {
	v := f.value
	for k := f.line + 1; k <= f.line+maxLines && k < len(d.lines); k++ {
		if d.blank(k) {
			break
		}
		cs := cells(d.lines[k].raw, gap)
		if len(cs) == 0 || abs(cs[0][0]-f.vcol) > 2 || f.vcol-f.col < 4 {
			break
		}
		next := string(d.lines[k].raw[cs[0][0]:cs[0][1]])
		if isLabel(next) {
			break
		}
		v += " " + next
	}
	return v
}

// first returns the first found value, or false.
func first(fs []found) (found, bool) {
	if len(fs) == 0 {
		return found{}, false
	}
	return fs[0], true
}

// wrappedLabel matches a label printed over two lines ("Entreprise" then
// "utilisatrice" under it) and returns the value beside its first line.
func (d *doc) wrappedLabel(re *prefilter.Regexp, li int) (found, bool) {
	if li+1 >= len(d.lines) || d.blank(li+1) {
		return found{}, false
	}
	a, b := cells(d.lines[li].raw, gap), cells(d.lines[li+1].raw, gap)
	if len(a) < 2 || len(b) == 0 || abs(a[0][0]-b[0][0]) > 1 {
		return found{}, false
	}
	first := d.lines[li].fold
	firstCell := trimSpecks(string([]rune(first)[a[0][0]:a[0][1]]))
	secondCell := trimSpecks(string([]rune(d.lines[li+1].fold)[b[0][0]:b[0][1]]))
	joined := firstCell + " " + secondCell
	m := re.FindStringSubmatchIndex(joined)
	if m == nil || m[2] != 0 || m[3] != len(joined) || re.MatchString(firstCell) {
		return found{}, false
	}
	v := string(d.lines[li].raw[a[1][0]:a[1][1]])
	return found{value: v, line: li, col: a[0][0], vcol: a[1][0], conf: 0.8, text: v}, true
}

// countAlnum counts the letters and digits of s.
func countAlnum(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			n++
		}
	}
	return n
}
