package rules

import (
	"strings"
	"unicode"

	"github.com/docflow/docflow/pipeline/prefilter"
)

// civility titles dropped before a person's name.
var reCivility = prefilter.MustCompile(`(?i)^(?:m\.|mr\.?|mrs\.?|ms\.?|miss|mme\.?|mlle\.?|madame|monsieur|mademoiselle|dr\.?)\s+`)

// personName normalises a person's name to "first last": civilities are
// dropped, and a surname printed first in capitals ("DE LA FONTAINE Inès")
// is moved after the first names.
func personName(s string) string {
	s = clean(s)
	for {
		t := reCivility.ReplaceAllString(s, "")
		if t == s {
			break
		}
		s = t
	}
	if m := reSurnameFirst.FindStringSubmatch(s); m != nil {
		s = m[2] + " " + m[1] // "Kowalski, Jan", as payroll exports print names
	}
	words := strings.Fields(s)
	if len(words) < 2 {
		return s
	}
	upper := func(w string) bool { return isUpperWord(w) }
	// Leading capitals followed by a capitalised or lower-case given name.
	n := 0
	for n < len(words) && upper(words[n]) {
		n++
	}
	if n > 0 && n < len(words) {
		allRestMixed := true
		for _, w := range words[n:] {
			if upper(w) {
				allRestMixed = false
			}
		}
		if allRestMixed {
			words = append(append([]string{}, words[n:]...), words[:n]...)
		}
	}
	for i, w := range words {
		if upper(w) {
			words[i] = titleWord(w)
		}
	}
	return strings.Join(words, " ")
}

// reSurnameFirst is a name printed "Surname, First names": one surname,
// a comma, one or two capitalised first names.
var reSurnameFirst = prefilter.MustCompile(`^(\p{Lu}[\p{L}'’-]+),\s*(\p{Lu}[\p{L}'’-]*(?:\s\p{Lu}[\p{L}'’-]*)?)$`)

// isUpperWord reports whether w has at least two letters, all upper case.
func isUpperWord(w string) bool {
	letters := 0
	for _, r := range w {
		if unicode.IsLetter(r) {
			if !unicode.IsUpper(r) {
				return false
			}
			letters++
		}
	}
	return letters >= 2
}

// titleWord writes an upper-case word in title case, hyphenated and
// apostrophed parts included (N'DIAYE → N'Diaye).
func titleWord(w string) string {
	rs := []rune(strings.ToLower(w))
	start := true
	for i, r := range rs {
		if start && unicode.IsLetter(r) {
			rs[i] = unicode.ToUpper(r)
		}
		start = r == '-' || r == '\'' || r == '’' || r == ' '
	}
	out := string(rs)
	switch out {
	case "De", "Du", "Des", "Da", "Dos", "Van", "Von", "Der":
		return strings.ToLower(out)
	}
	return out
}

// nameFromParts joins a surname and first names printed apart.
func nameFromParts(last, first string) string {
	last, first = clean(last), clean(first)
	if last == "" || first == "" {
		return ""
	}
	return personName(first + " " + last)
}

// reCompanySuffix cuts a company name before its address or details.
var reCompanyCut = prefilter.MustCompile(`\s+[–—-]\s+|\s*,\s*|\s+\(|\s{2,}`)

// companyName cleans a company name: the text before an address or a
// comment, without "la société".
func companyName(s string) string {
	s = strings.TrimSpace(s)
	if loc := reCompanyCut.FindStringIndex(s); loc != nil && loc[0] > 2 {
		s = s[:loc[0]]
	}
	s = prefilter.MustCompile(`(?i)^(?:la\s+soci[ée]t[ée]|soci[ée]t[ée]|the\s+company|company)\s+`).ReplaceAllString(s, "")
	return clean(s)
}

var (
	rePostcodeCity = prefilter.MustCompile(`\b(?:F-)?\d{5}\s+([\p{L}][\p{L}'’ -]*[\p{L}])`)
	reCedex        = prefilter.MustCompile(`(?i)\s+cedex(\s+\d+)?$`)
	reStreet       = prefilter.MustCompile(`(?i)\d|\b(rue|avenue|av\.|boulevard|bd|chemin|route|place|impasse|allée|allee|quai|cours|zone|za|zac|zi|parc|lieu-dit|street|road)\b`)
)

// cityOf returns the city of an address: the words after the postcode, or
// the last comma-separated part that is not a street, or the value itself.
func cityOf(s string) string {
	s = clean(s)
	if ms := rePostcodeCity.FindAllStringSubmatch(s, -1); ms != nil {
		return clean(reCedex.ReplaceAllString(ms[len(ms)-1][1], ""))
	}
	parts := strings.Split(s, ",")
	for i := len(parts) - 1; i >= 0; i-- {
		p := clean(parts[i])
		if p != "" && !reStreet.MatchString(p) {
			return p
		}
	}
	return s
}

var reSIRETDigits = prefilter.MustCompile(`\d[\d .]{11,20}\d`)

// siretDigits keeps the digits of a SIRET printed with spaces or dots.
func siretDigits(s string) string {
	m := reSIRETDigits.FindString(s)
	var b strings.Builder
	for _, r := range m {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
