package validate

import (
	"slices"
	"strings"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// sameName reports whether two person names are the same under the spec's
// string comparison (Unicode NFC, case-folded, accents kept, white space
// collapsed), also when their words come in another order: "LEFÈVRE Élodie"
// and "Élodie Lefèvre" are the same name, "Elodie Lefevre" is not.
// Typographic apostrophes count as "'" (N’Diaye is N'Diaye).
func sameName(a, b string) bool {
	return slices.Equal(nameWords(a), nameWords(b))
}

// nameWords returns the normalised words of a name, sorted.
func nameWords(s string) []string {
	s = strings.NewReplacer("’", "'", "‘", "'", "ʼ", "'").Replace(s)
	// A cases.Caser keeps state, so each call makes its own.
	s = norm.NFC.String(cases.Fold().String(norm.NFC.String(s)))
	words := strings.Fields(s)
	slices.Sort(words)
	return words
}
