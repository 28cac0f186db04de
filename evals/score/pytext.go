package score

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// score-extract is written in Python: these helpers read and print values
// the way it does, so that the two scorers agree on odd inputs too.

// isPySpace is Python's str.isspace for one rune: Go's white space plus the
// information separators U+001C–U+001F.
func isPySpace(r rune) bool {
	return (r >= 0x1c && r <= 0x1f) || unicode.IsSpace(r)
}

// toFloat reads a decimal: a JSON number, or a string such as "13,45" or
// " 13.45 "; ok is false for null, booleans and anything else.
func toFloat(v any) (f float64, ok bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		return f, err == nil || errors.Is(err, strconv.ErrRange)
	case string:
		return parsePyFloat(strings.ReplaceAll(x, ",", "."))
	}
	return 0, false
}

// parsePyFloat parses s as Python's float(s) does: surrounding white space
// allowed, underscores between digits allowed, no hexadecimal.
func parsePyFloat(s string) (float64, bool) {
	s = strings.TrimFunc(s, isPySpace)
	if strings.ContainsAny(s, "xX") {
		return 0, false
	}
	if strings.Contains(s, "_") {
		for i, r := range s {
			if r == '_' && (i == 0 || i == len(s)-1 || !isDigit(s[i-1]) || !isDigit(s[i+1])) {
				return 0, false
			}
		}
		s = strings.ReplaceAll(s, "_", "")
	}
	f, err := strconv.ParseFloat(s, 64)
	// Python gives ±inf or 0 where Go reports a range error.
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return f, true
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// pyStr is Python's str() of a JSON value, as score-extract sees it: "None"
// for null, "True"/"False", integers without a point, other numbers in
// Python's shortest form (13.45, 1e-05). A float64 with no fraction prints
// as an integer, since JSON decoding into Go cannot tell 35 from 35.0.
// Lists and objects print as canonical JSON.
func pyStr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e16 {
			return strconv.FormatFloat(x, 'f', 0, 64)
		}
		return pyFloat(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case json.Number:
		return pyNumber(x)
	}
	return canonicalJSON(v)
}

// pyNumber prints a JSON number literal as Python's json module reads it:
// an int if it has no point or exponent, else a float.
func pyNumber(n json.Number) string {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if s == "-0" {
			return "0"
		}
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return s
	}
	return pyFloat(f)
}

// pyFloat is Python's repr of a float: the shortest digits that read back,
// in positional form when the decimal point falls within -4 < decpt <= 16,
// else in exponent form with at least two exponent digits.
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	sign := ""
	if math.Signbit(f) {
		sign, f = "-", -f
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, exp, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	x, _ := strconv.Atoi(exp)
	decpt := x + 1
	switch {
	case decpt <= -4 || decpt > 16:
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		es := "+"
		if x < 0 {
			es, x = "-", -x
		}
		ex := strconv.Itoa(x)
		if len(ex) < 2 {
			ex = "0" + ex
		}
		return sign + m + "e" + es + ex
	case decpt <= 0:
		return sign + "0." + strings.Repeat("0", -decpt) + digits
	case decpt >= len(digits):
		return sign + digits + strings.Repeat("0", decpt-len(digits)) + ".0"
	}
	return sign + digits[:decpt] + "." + digits[decpt:]
}

// canonicalJSON encodes v with object keys sorted (encoding/json sorts map
// keys), so that equal lists and objects print alike.
func canonicalJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}
