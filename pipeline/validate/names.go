package validate

import (
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// sameName reports whether two person names name the same person, as the
// worker_mismatch rule needs: case, accents, hyphens, apostrophes and word
// order do not count. "LEFÈVRE Élodie", "Elodie Lefevre" and "Élodie
// Lefèvre" are one person; "Élodie Renaud" is another. Accents are ignored
// here, unlike in the spec's comparison of extracted values, because
// time-clock exports and scans often lose them while the person stays the
// same; a different person has a different name, not different accents.
//
// One slip of a letter in a word of five letters or more (an OCR misread,
// "Cédrie" for "Cédric") is tolerated too: the rule looks for a timesheet
// billed against another person's contract, and another person's name
// differs by more than a letter.
func sameName(a, b string) bool {
	wa, wb := nameWords(a), nameWords(b)
	if slices.Equal(wa, wb) {
		return true
	}
	if len(wa) != len(wb) || len(wa) == 0 {
		return false
	}
	slips := 0
	for i := range wa {
		if wa[i] == wb[i] {
			continue
		}
		if len([]rune(wa[i])) < 5 || editDistance(wa[i], wb[i]) > 1 {
			return false
		}
		slips++
	}
	return slips <= 1
}

// editDistance is the Levenshtein distance between two words.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(rb)]
}

// nameWords returns the normalised words of a name, sorted.
func nameWords(s string) []string {
	s = strings.NewReplacer("’", " ", "‘", " ", "ʼ", " ", "'", " ", "-", " ", "‐", " ", ".", " ").Replace(s)
	// A cases.Caser keeps state, so each call makes its own.
	s = stripMarks(cases.Fold().String(norm.NFC.String(s)))
	words := strings.Fields(s)
	slices.Sort(words)
	return words
}

// stripMarks removes combining marks (accents) after decomposing s.
func stripMarks(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
