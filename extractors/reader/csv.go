package reader

import (
	"encoding/csv"
	"strings"
)

// csvDelimiters are the delimiters tried, in order of preference.
var csvDelimiters = []rune{';', ',', '\t', '|'}

// csvDelimiter finds the delimiter that splits the lines of text into the
// same number of fields. ext (".csv", ".txt", ...) sets how consistent the
// counts must be: a .txt file must be fully regular to count as CSV.
func csvDelimiter(text, ext string) (rune, bool) {
	need := 0.8
	switch ext {
	case ".csv", ".tsv":
		need = 0.5
	case ".txt", ".text", ".md":
		need = 0.98
	}
	lines := nonEmptyLines(text, 200)
	if len(lines) < 2 {
		return 0, false
	}
	best, bestScore := rune(0), 0.0
	for _, d := range csvDelimiters {
		counts := map[int]int{}
		for _, l := range lines {
			counts[countOutsideQuotes(l, d)]++
		}
		mode, n := 0, 0
		for c, k := range counts {
			if c > 0 && k > n {
				mode, n = c, k
			}
		}
		if mode == 0 {
			continue
		}
		score := float64(n) / float64(len(lines))
		if score >= need && score > bestScore {
			best, bestScore = d, score
		}
	}
	return best, best != 0
}

func nonEmptyLines(text string, limit int) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
			if len(out) == limit {
				break
			}
		}
	}
	return out
}

func countOutsideQuotes(line string, d rune) int {
	n, quoted := 0, false
	for _, r := range line {
		switch {
		case r == '"':
			quoted = !quoted
		case r == d && !quoted:
			n++
		}
	}
	return n
}

// csvText renders CSV records as lines of tab-separated cells, keeping
// empty leading cells so that columns stay aligned with the header.
func csvText(text string, d rune) string {
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = d
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var b strings.Builder
	for {
		rec, err := r.Read()
		if err != nil {
			if _, ok := err.(*csv.ParseError); ok {
				continue
			}
			break
		}
		for len(rec) > 0 && strings.TrimSpace(rec[len(rec)-1]) == "" {
			rec = rec[:len(rec)-1]
		}
		for i := range rec {
			rec[i] = strings.Join(strings.Fields(rec[i]), " ")
		}
		b.WriteString(strings.Join(rec, "\t"))
		b.WriteByte('\n')
	}
	return b.String()
}
