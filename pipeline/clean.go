package pipeline

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// MaxFileName bounds a stored file name, in bytes.
const MaxFileName = 200

// CleanText makes text that a client or a sender chose (a file name, a
// mail header) safe to show and to store (PostgreSQL refuses NUL and
// invalid UTF-8): bytes that are not UTF-8 are read as Windows-1252, as old
// clients and charset-less headers send them; control and format
// characters are dropped (white space ones, tabs and line breaks, become
// spaces); runs of white space become one space, trimmed; the result is
// cut to limit bytes (limit < 0: no bound), never inside a letter.
func CleanText(s string, limit int) string {
	if !utf8.ValidString(s) {
		if dec, err := charmap.Windows1252.NewDecoder().String(s); err == nil {
			s = dec
		}
		s = strings.ToValidUTF8(s, "")
	}
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == utf8.RuneError:
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if limit >= 0 && len(s) > limit {
		s = strings.TrimSpace(CutUTF8(s, limit))
	}
	return s
}

// CutUTF8 returns the longest prefix of s of at most n bytes that does not
// end inside a letter.
func CutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// TruncateName cuts a file name to limit bytes, keeping its extension.
func TruncateName(name string, limit int) string {
	if len(name) <= limit {
		return name
	}
	ext := path.Ext(name)
	if len(ext) > 16 || len(ext) >= limit {
		ext = ""
	}
	return strings.TrimSpace(CutUTF8(strings.TrimSuffix(name, ext), limit-len(ext))) + ext
}

// CleanFileName returns a file name fit to store and show, whatever a
// client, a browser or an email sent: CleanText of its last path element
// (either slash), at most MaxFileName bytes with its extension kept, and
// "upload" when nothing is left.
func CleanFileName(name string) string {
	name = CleanText(strings.ReplaceAll(name, "\\", "/"), -1)
	name = strings.TrimSpace(path.Base(name))
	if name == "." || name == "/" || name == "" || name == ".." {
		return "upload"
	}
	return TruncateName(name, MaxFileName)
}
