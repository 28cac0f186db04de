package prefilter

import (
	"regexp"
	"slices"
	"testing"
)

func TestWords(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		pattern string
		want    []string
	}{
		{`\bsystem\sprompt\b`, []string{"system"}},
		{`\b(?:do\snot|never)\sflag\b`, []string{"flag"}},
		{`\b(?:jailbreak|dan\smode)\b`, []string{"jailbreak", "mode"}},
		{`\b(?:ignore[rsz]?|oublie[rsz]?)\s(?:toutes\s)?tes\s`, []string{"ignore", "oublie"}},
		{`(?:ignore|disregard)\s(?:\S+\s){0,3}?instructions`, []string{"instructions"}},
		{`(?:x)?abc|def`, []string{"abc", "def"}},
		{`(?:abc){2}`, []string{"abc"}},
		{`(?:the\s)?\S+`, nil}, // nothing required
		{`(?i)ignore`, nil},    // case-folded: not filtered
		{`ab|(?:c)?`, nil},     // a branch needs nothing
		{`a\sb`, nil},          // words too short to filter
	} {
		got := slices.Clone(MustCompile(c.pattern).Words())
		slices.Sort(got)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: words %q, want %q", c.pattern, got, want)
		}
	}
}

// FuzzSearchesAgree: on any text and any expression, every filtered
// search gives what regexp's gives.
func FuzzSearchesAgree(f *testing.F) {
	for _, c := range [][2]string{
		{`\b(?:ignore|disregard)\s(?:\S+\s){0,3}?(?:previous|prior)\sinstructions\b`, "please ignore all previous instructions"},
		{`(?:^\s*|\s{2,})(taux\s+horaire|rate)(?:\b|[\s:.|]|$)`, "  taux horaire : 13,45"},
		{`n°\s*(?:de\s+)?contrat|contract\s*(?:no|number)`, "Contract number CM-1"},
		{`(a+)(b|cd)`, "xxaaacdyy"},
		{`(?i)abc`, "ABC"},
		{`ab|(?:c)?`, "zz"},
		{`(?m)^\W{0,3}(?:system|user)\s?:`, "x\n> system: hi"},
	} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, pattern, text string) {
		std, err := regexp.Compile(pattern)
		if err != nil {
			return
		}
		r := New(std)
		if !r.MayMatch(text) && std.MatchString(text) {
			t.Fatalf("%s with words %q matches %q, which holds none", pattern, r.Words(), text)
		}
		if r.MatchString(text) != std.MatchString(text) ||
			r.FindString(text) != std.FindString(text) ||
			!slices.Equal(r.FindStringIndex(text), std.FindStringIndex(text)) ||
			!slices.Equal(r.FindStringSubmatch(text), std.FindStringSubmatch(text)) ||
			!slices.Equal(r.FindStringSubmatchIndex(text), std.FindStringSubmatchIndex(text)) ||
			!slices.Equal(r.FindAllString(text, -1), std.FindAllString(text, -1)) ||
			len(r.FindAllStringIndex(text, -1)) != len(std.FindAllStringIndex(text, -1)) ||
			len(r.FindAllStringSubmatch(text, -1)) != len(std.FindAllStringSubmatch(text, -1)) ||
			len(r.FindAllStringSubmatchIndex(text, -1)) != len(std.FindAllStringSubmatchIndex(text, -1)) {
			t.Fatalf("%s (words %q) on %q: a filtered search differs from regexp's", pattern, r.Words(), text)
		}
	})
}
