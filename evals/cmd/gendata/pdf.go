package main

import (
	"crypto/md5"
	"crypto/rc4"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/docflow/docflow/pipeline/testdocs"
	"golang.org/x/text/encoding/charmap"
)

// colWidth is the width in points given to a character of the source
// text when a line is laid out in columns.
const colWidth = 6

// cells matches the runs of a line separated by two spaces or more.
var cells = regexp.MustCompile(`\S+(?: \S+)*`)

// pageStream is the content stream of a page showing lines in Helvetica.
// A line's runs separated by two spaces or more start where their column
// in the text says, as a word processor's tab stops place them, so that
// tables keep their columns.
func pageStream(lines []string) string {
	var b strings.Builder
	b.WriteString("BT /F1 10 Tf\n")
	for i, l := range lines {
		y := 800 - 14*i
		for _, loc := range cells.FindAllStringIndex(l, -1) {
			col := utf8.RuneCountInString(l[:loc[0]])
			fmt.Fprintf(&b, "1 0 0 1 %d %d Tm (%s) Tj\n", 50+colWidth*col, y, pdfText(l[loc[0]:loc[1]]))
		}
	}
	b.WriteString("ET")
	return b.String()
}

// pdfText encodes s in WinAnsi and escapes it for a PDF literal string.
func pdfText(s string) string {
	enc, err := charmap.Windows1252.NewEncoder().String(s)
	if err != nil {
		enc = s
	}
	return strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`).Replace(enc)
}

// textPDF returns a text PDF of text, 55 lines a page.
func textPDF(text string) []byte {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	var d pdfDoc
	for len(lines) > 0 {
		n := min(55, len(lines))
		d.pages = append(d.pages, lines[:n])
		lines = lines[n:]
	}
	return d.bytes()
}

// pdfDoc is a PDF of text pages, written from scratch.
type pdfDoc struct {
	pages [][]string
	// userPassword, when set, encrypts the content streams with the
	// standard security handler (revision 3, 128-bit RC4).
	userPassword string
}

// bytes writes the PDF: catalog, pages, font, then a page and a content
// stream per page, an /Encrypt dictionary when a password is set.
func (d pdfDoc) bytes() []byte {
	id := md5.Sum([]byte(fmt.Sprint(d.pages)))
	var key []byte
	var encrypt string
	if d.userPassword != "" {
		o, u, k := securityHandler(d.userPassword, "owner-"+d.userPassword, -1852, id[:])
		key = k
		encrypt = fmt.Sprintf("<< /Filter /Standard /V 2 /R 3 /Length 128 /P -1852 /O <%s> /U <%s> >>", hex.EncodeToString(o), hex.EncodeToString(u))
	}
	kids := make([]string, len(d.pages))
	for i := range d.pages {
		kids[i] = fmt.Sprintf("%d 0 R", 4+2*i)
	}
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>",
		fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(d.pages)),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"}
	for i, p := range d.pages {
		content := []byte(pageStream(p))
		if key != nil {
			content = rc4Object(key, 5+2*i, content)
		}
		objs = append(objs,
			fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 5+2*i),
			fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	}
	trailer := fmt.Sprintf("/ID [<%x> <%x>]", id, id)
	if encrypt != "" {
		objs = append(objs, encrypt)
		trailer += fmt.Sprintf(" /Encrypt %d 0 R", len(objs))
	}
	return testdocs.WritePDF(objs, trailer)
}

// pad32 is the padding string of the PDF standard security handler.
var pad32 = []byte{0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08,
	0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68, 0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A}

func padded(pw string) []byte { return append([]byte(pw), pad32...)[:32] }

// securityHandler computes the /O and /U entries and the file key of the
// standard security handler, revision 3 (PDF 1.7, algorithms 2, 3 and 5).
func securityHandler(user, owner string, p int32, id []byte) (o, u, key []byte) {
	h := md5.Sum(padded(owner))
	for range 50 {
		h = md5.Sum(h[:])
	}
	o = rc4Rounds(h[:], padded(user))
	m := md5.New()
	m.Write(padded(user))
	m.Write(o)
	binary.Write(m, binary.LittleEndian, p)
	m.Write(id)
	k := m.Sum(nil)
	for range 50 {
		s := md5.Sum(k)
		k = s[:]
	}
	m = md5.New()
	m.Write(pad32)
	m.Write(id)
	u = append(rc4Rounds(k, m.Sum(nil)), make([]byte, 16)...)
	return o, u, k
}

// rc4Rounds encrypts data with key, then 19 more times with key XOR i.
func rc4Rounds(key, data []byte) []byte {
	out := append([]byte{}, data...)
	for i := range 20 {
		k := make([]byte, len(key))
		for j := range key {
			k[j] = key[j] ^ byte(i)
		}
		c, _ := rc4.NewCipher(k)
		c.XORKeyStream(out, out)
	}
	return out
}

// rc4Object encrypts the data of object num (generation 0) (algorithm 1).
func rc4Object(key []byte, num int, data []byte) []byte {
	k := append(append([]byte{}, key...), byte(num), byte(num>>8), byte(num>>16), 0, 0)
	h := md5.Sum(k)
	c, _ := rc4.NewCipher(h[:min(len(key)+5, 16)])
	out := make([]byte, len(data))
	c.XORKeyStream(out, data)
	return out
}
