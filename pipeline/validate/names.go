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
func sameName(a, b string) bool {
	return slices.Equal(nameWords(a), nameWords(b))
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
