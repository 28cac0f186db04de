package reader

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"
)

// kind is a format found by sniffing the bytes.
type kind int

const (
	kindUnknown kind = iota
	kindPDF
	kindImage
	kindZip
	kindOLE
	kindEmail
	kindCSV
	kindText
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// sniff tells the format of data from its bytes. The name's extension only
// breaks the tie between CSV and plain text.
func sniff(data []byte, name string) kind {
	head := data[:min(len(data), 1024)]
	switch {
	case bytes.Contains(head, []byte("%PDF-")):
		return kindPDF
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")),
		bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}),
		bytes.HasPrefix(data, []byte("II*\x00")),
		bytes.HasPrefix(data, []byte("MM\x00*")):
		return kindImage
	case bytes.HasPrefix(data, []byte("PK\x03\x04")), bytes.HasPrefix(data, []byte("PK\x05\x06")):
		return kindZip
	case bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		return kindOLE
	}
	if !looksText(data) {
		return kindUnknown
	}
	text := decodeText(data)
	if looksEmail(text) {
		return kindEmail
	}
	if _, ok := csvDelimiter(text, strings.ToLower(filepath.Ext(name))); ok {
		return kindCSV
	}
	return kindText
}

// looksText reports whether data is text: valid UTF-8, or single-byte text
// without control characters other than white space.
func looksText(data []byte) bool {
	sample := data[:min(len(data), 64<<10)]
	if bytes.IndexByte(sample, 0) >= 0 {
		return false
	}
	if utf8.Valid(sample) || utf8.Valid(sample[:max(0, len(sample)-3)]) {
		return true
	}
	bad := 0
	for _, b := range sample {
		if b < 0x20 && b != '\n' && b != '\r' && b != '\t' && b != '\f' {
			bad++
		}
	}
	return bad*100 <= len(sample)
}

var headerLine = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9-]*):[ \t]*\S`)

// emailHeaders are header names that mark the start of an RFC 822 message.
var emailHeaders = map[string]bool{
	"from": true, "to": true, "subject": true, "date": true, "mime-version": true,
	"received": true, "content-type": true, "return-path": true, "message-id": true,
	"delivered-to": true, "cc": true, "reply-to": true, "sender": true,
}

// looksEmail reports whether text starts with an RFC 822 header block that
// has at least two well-known header names, one of them From, To, Received or
// MIME-Version.
func looksEmail(text string) bool {
	known, strong := 0, false
	lines := strings.Split(strings.TrimLeft(text, "\r\n"), "\n")
	for i, l := range lines {
		l = strings.TrimRight(l, "\r")
		if l == "" {
			break
		}
		if i > 200 {
			return false
		}
		if l[0] == ' ' || l[0] == '\t' {
			continue // folded header
		}
		m := headerLine.FindStringSubmatch(l)
		if m == nil {
			if strings.HasPrefix(l, "From ") && i == 0 {
				continue // mbox separator
			}
			return false
		}
		h := strings.ToLower(m[1])
		if emailHeaders[h] {
			known++
		}
		if h == "from" || h == "to" || h == "received" || h == "mime-version" {
			strong = true
		}
	}
	return known >= 2 && strong
}
