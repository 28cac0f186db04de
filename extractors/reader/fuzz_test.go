package reader

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// The fuzz targets call the Go parsers directly, without the panic guard
// of Read, so that a panic fails the target; none runs an external tool.

func FuzzReadEmail(f *testing.F) {
	f.Add([]byte("From: a@b.c\r\nTo: d@e.f\r\nSubject: x\r\n\r\nbody\r\n"))
	f.Add([]byte("From: a@b.c\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHeures effectu=E9es : 7h30\r\n--b\r\nContent-Type: application/pdf; name=\"=?utf-8?b?Y29udHJhdC5wZGY=?=\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: x@y.z\r\nTo: a@b.c\r\n\r\ninner\r\n--b--\r\n"))
	f.Add([]byte("From: a@b.c\r\nTo: b@c.d\r\nContent-Type: text/html; charset=windows-1252\r\n\r\n<p>Relev\xe9 &eacute; <b>7,50</b></p>"))
	r := New(Config{})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := r.readEmail("m.eml", data)
		if err != nil {
			return
		}
		if !utf8.ValidString(c.Text) {
			t.Errorf("text is not UTF-8: %q", c.Text)
		}
		if len(c.Parts) > maxMIMEParts+1 {
			t.Errorf("%d parts", len(c.Parts))
		}
	})
}

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("Date;Entrée;Sortie;Heures\n02/03/2026;08:00;15:30;7,50\nTotal;;;7,50\n"))
	f.Add([]byte("\xef\xbb\xbfa,\"b,c\",d\n1,\"2\"\"x\",3\n"))
	f.Add([]byte("P\xe9riode\t02/03\n\"unterminated\t1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, k := range []kind{kindCSV, kindText} {
			c, err := readText("x.csv", data, k)
			if err != nil {
				continue
			}
			if !utf8.ValidString(c.Text) {
				t.Errorf("text is not UTF-8: %q", c.Text)
			}
		}
		sniff(data, "x.csv")
	})
}

func FuzzReadZip(f *testing.F) {
	for _, parts := range []map[string]string{
		{"word/document.xml": `<w:document xmlns:w="w"><w:body><w:p><w:r><w:t>CONTRAT</w:t></w:r></w:p><w:tbl><w:tr><w:tc><w:p><w:r><w:t>a</w:t><w:br/><w:t>b</w:t></w:r></w:p></w:tc></w:tr></w:tbl></w:body></w:document>`},
		{"xl/workbook.xml": `<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" r:id="rId1"/></sheets></workbook>`,
			"xl/_rels/workbook.xml.rels": `<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>`,
			"xl/sharedStrings.xml":       `<sst><si><t>Date</t></si></sst>`,
			"xl/styles.xml":              `<styleSheet><numFmts><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts><cellXfs><xf numFmtId="164"/></cellXfs></styleSheet>`,
			"xl/worksheets/sheet1.xml":   `<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" s="0"><v>46083</v></c><c r="XFD1048576"><v>1e308</v></c></row></sheetData></worksheet>`},
	} {
		var b bytes.Buffer
		w := zip.NewWriter(&b)
		for name, body := range parts {
			fw, _ := w.Create(name)
			fw.Write([]byte(body))
		}
		w.Close()
		f.Add(b.Bytes())
	}
	r := New(Config{MaxUncompressed: 1 << 20})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := r.readZip("x.zip", data)
		if err == nil && !utf8.ValidString(c.Text) && !strings.Contains(string(data), "\xff") {
			t.Errorf("text is not UTF-8: %q", c.Text)
		}
	})
}
