package testdocs

import (
	"bytes"
	"fmt"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// PDF returns a small, valid PDF whose pages show text's lines in
// Helvetica (WinAnsi encoding), 60 lines a page.
func PDF(text string) []byte {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	var pages [][]string
	for len(lines) > 0 {
		n := min(60, len(lines))
		pages = append(pages, lines[:n])
		lines = lines[n:]
	}
	var objs []string
	// 1: catalog, 2: pages, 3: font, then page and content pairs.
	kids := make([]string, len(pages))
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", 4+2*i)
	}
	objs = append(objs, "<< /Type /Catalog /Pages 2 0 R >>",
		fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages)),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	for i, p := range pages {
		var content bytes.Buffer
		content.WriteString("BT /F1 10 Tf 14 TL 50 800 Td\n")
		for _, l := range p {
			content.WriteString("(" + pdfString(l) + ") Tj T*\n")
		}
		content.WriteString("ET")
		objs = append(objs,
			fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 5+2*i),
			fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", content.Len(), content.String()))
	}
	return WritePDF(objs, "")
}

// ImagePDF returns a one-page A4 PDF without a text layer that shows a
// JPEG full page, as a scanner writes them. colorSpace is DeviceGray or
// DeviceRGB.
func ImagePDF(jpeg []byte, width, height int, colorSpace string) []byte {
	content := "q 595 0 0 842 0 0 cm /Im0 Do Q"
	return WritePDF([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>",
		fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /%s /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n%s\nendstream",
			width, height, colorSpace, len(jpeg), jpeg),
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
	}, "")
}

// WritePDF writes objects numbered from 1 (the first the catalog) with a
// correct cross-reference table; trailer adds entries to the trailer
// dictionary (say "/ID [...] /Encrypt 9 0 R").
func WritePDF(objs []string, trailer string) []byte {
	var out bytes.Buffer
	out.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = out.Len()
		fmt.Fprintf(&out, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&out, "%010d 00000 n \n", off)
	}
	if trailer != "" {
		trailer += " "
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, trailer, xref)
	return out.Bytes()
}

// pdfString encodes s in WinAnsi and escapes it for a PDF literal string.
func pdfString(s string) string {
	enc, err := charmap.Windows1252.NewEncoder().String(s)
	if err != nil {
		enc = s
	}
	r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
	return r.Replace(enc)
}
