// Package prefilter spares regular-expression searches that cannot match:
// it names words of which every match of an expression holds at least one,
// and a text holding none of them is not searched. The detectors and
// extractors run dozens of patterns over each document, and most of them
// have nothing to start from in an ordinary one.
package prefilter

import (
	"regexp"
	"regexp/syntax"
	"strings"
)

// Regexp is a compiled expression with its words. Its string searches
// (Find*String*, MatchString) give what regexp's give, without searching
// a text that holds none of the words; the other methods are regexp's.
type Regexp struct {
	*regexp.Regexp
	// words is nil when none could be named: every text is searched.
	words []string
}

// minWord is the shortest word worth filtering on; shorter ones are in
// nearly every text.
const minWord = 2

// New returns re with its words.
func New(re *regexp.Regexp) *Regexp {
	r := &Regexp{Regexp: re}
	if tree, err := syntax.Parse(re.String(), syntax.Perl); err == nil {
		if w := requiredWords(tree); shortest(w) >= minWord {
			r.words = w
		}
	}
	return r
}

// MustCompile compiles pattern as regexp.MustCompile does, with its words.
func MustCompile(pattern string) *Regexp { return New(regexp.MustCompile(pattern)) }

// Words returns the words of which every match holds one, nil when none
// could be named.
func (r *Regexp) Words() []string { return r.words }

// MayMatch reports whether s holds one of the words (always, without
// words): when it does not, the expression does not match s.
func (r *Regexp) MayMatch(s string) bool {
	if r.words == nil {
		return true
	}
	for _, w := range r.words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// MatchString is regexp's, filtered.
func (r *Regexp) MatchString(s string) bool { return r.MayMatch(s) && r.Regexp.MatchString(s) }

// FindString is regexp's, filtered.
func (r *Regexp) FindString(s string) string {
	if !r.MayMatch(s) {
		return ""
	}
	return r.Regexp.FindString(s)
}

// FindStringIndex is regexp's, filtered.
func (r *Regexp) FindStringIndex(s string) []int {
	if !r.MayMatch(s) {
		return nil
	}
	return r.Regexp.FindStringIndex(s)
}

// FindStringSubmatch is regexp's, filtered.
func (r *Regexp) FindStringSubmatch(s string) []string {
	if !r.MayMatch(s) {
		return nil
	}
	return r.Regexp.FindStringSubmatch(s)
}

// FindStringSubmatchIndex is regexp's, filtered.
func (r *Regexp) FindStringSubmatchIndex(s string) []int {
	if !r.MayMatch(s) {
		return nil
	}
	return r.Regexp.FindStringSubmatchIndex(s)
}

// FindAllString is regexp's, filtered.
func (r *Regexp) FindAllString(s string, n int) []string {
	if !r.MayMatch(s) {
		return nil
	}
	return r.Regexp.FindAllString(s, n)
}

// FindAllStringIndex is regexp's, filtered.
func (r *Regexp) FindAllStringIndex(s string, n int) [][]int {
	if !r.MayMatch(s) {
		return nil
	}
	return r.Regexp.FindAllStringIndex(s, n)
}

// FindAllStringSubmatch is regexp's, filtered.
func (r *Regexp) FindAllStringSubmatch(s string, n int) [][]string {
	if !r.MayMatch(s) {
		return nil
	}
	return r.Regexp.FindAllStringSubmatch(s, n)
}

// FindAllStringSubmatchIndex is regexp's, filtered.
func (r *Regexp) FindAllStringSubmatchIndex(s string, n int) [][]int {
	if !r.MayMatch(s) {
		return nil
	}
	return r.Regexp.FindAllStringSubmatchIndex(s, n)
}

// requiredWords returns strings of which any text that tree matches holds
// at least one, or nil when it cannot name them. It errs on the safe side:
// a case-folded literal, an optional part or anything but a literal names
// none.
func requiredWords(tree *syntax.Regexp) []string {
	switch tree.Op {
	case syntax.OpLiteral:
		if tree.Flags&syntax.FoldCase != 0 {
			return nil
		}
		return []string{string(tree.Rune)}
	case syntax.OpCapture, syntax.OpPlus:
		return requiredWords(tree.Sub[0])
	case syntax.OpRepeat:
		if tree.Min >= 1 {
			return requiredWords(tree.Sub[0])
		}
	case syntax.OpConcat:
		// Every part must match: the part with the longest shortest word
		// filters best.
		var best []string
		for _, sub := range tree.Sub {
			if w := requiredWords(sub); w != nil && shortest(w) > shortest(best) {
				best = w
			}
		}
		return best
	case syntax.OpAlternate:
		// One branch matches: its words, whichever it is.
		var all []string
		for _, sub := range tree.Sub {
			w := requiredWords(sub)
			if w == nil {
				return nil
			}
			all = append(all, w...)
		}
		return all
	}
	return nil
}

// shortest is the length of the shortest word, 0 for none.
func shortest(words []string) int {
	n := 0
	for i, w := range words {
		if i == 0 || len(w) < n {
			n = len(w)
		}
	}
	return n
}
