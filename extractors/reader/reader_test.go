package reader

import (
	"archive/zip"
	"bytes"
	"context"
	"hash/crc32"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
)

// requireTool skips the test when a program is missing, or fails it when
// DOCFLOW_TEST_REQUIRE_TOOLS=1.
func requireTool(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			if os.Getenv("DOCFLOW_TEST_REQUIRE_TOOLS") == "1" {
				t.Fatalf("%s is not installed", n)
			}
			t.Skipf("%s is not installed", n)
		}
	}
}

// zipOf builds a zip archive of the given parts.
func zipOf(t *testing.T, parts map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for name, body := range parts {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// minimalPDF writes a one-page PDF that shows lines of text (testdocs.PDF).
func minimalPDF(lines ...string) []byte {
	return testdocs.PDF(strings.Join(lines, "\n"))
}

func refusalCode(err error) string {
	if r, ok := derrors.AsRefusal(err); ok {
		return r.Code
	}
	return ""
}

func TestReadRefusals(t *testing.T) {
	t.Parallel()
	bomb := zipOf(t, map[string]string{"word/document.xml": strings.Repeat("<w:p/>", 50000)})
	encrypted := append(minimalPDF("secret"), []byte("trailer\n<< /Encrypt 9 0 R >>\n")...)
	tests := []struct {
		name string
		file string
		data []byte
		cfg  Config
		want string
	}{
		{"empty", "a.pdf", nil, Config{}, derrors.EmptyDocument},
		{"white space", "a.txt", []byte(" \n\t\r\n"), Config{}, derrors.EmptyDocument},
		{"too many bytes", "a.txt", []byte("hello world"), Config{MaxBytes: 4}, derrors.TooLarge},
		{"binary", "a.pdf", []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x01\x02\x03"), Config{}, derrors.UnsupportedMediaType},
		{"other zip", "a.docx", zipOf(t, map[string]string{"hello.txt": "hi"}), Config{}, derrors.UnsupportedMediaType},
		{"corrupt zip", "a.docx", []byte("PK\x03\x04garbage garbage garbage"), Config{}, derrors.CorruptDocument},
		{"zip bomb", "a.docx", bomb, Config{MaxUncompressed: 1000}, derrors.TooLarge},
		{"encrypted pdf", "a.pdf", encrypted, Config{}, derrors.EncryptedDocument},
		{"truncated pdf", "a.pdf", minimalPDF("cut")[:200], Config{}, derrors.CorruptDocument},
		{"legacy office", "a.doc", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 64)...), Config{}, derrors.UnsupportedMediaType},
		{"huge image", "a.png", pngHeader(20000, 20000), Config{}, derrors.TooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tt.cfg).Read(context.Background(), tt.file, tt.data)
			if got := refusalCode(err); got != tt.want {
				t.Fatalf("refusal = %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

// pngHeader returns the signature and IHDR chunk of a PNG of w x h pixels.
func pngHeader(w, h int) []byte {
	chunk := []byte("IHDR")
	chunk = append(chunk, byte(w>>24), byte(w>>16), byte(w>>8), byte(w), byte(h>>24), byte(h>>16), byte(h>>8), byte(h), 8, 2, 0, 0, 0)
	sum := crc32.ChecksumIEEE(chunk)
	b := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0d"), chunk...)
	return append(b, byte(sum>>24), byte(sum>>16), byte(sum>>8), byte(sum))
}

func TestReadText(t *testing.T) {
	t.Parallel()
	cp1252 := []byte("P\xe9riode du;02/03/2026;au;08/03/2026\nNom;Heures\nMARTIN;7,50\n")
	tests := []struct {
		name, file string
		data       []byte
		format     string
		contains   []string
	}{
		{"csv cp1252", "export.csv", cp1252, "csv", []string{"Période du\t02/03/2026\tau\t08/03/2026", "MARTIN\t7,50"}},
		{"csv with bom", "x.csv", []byte("\xef\xbb\xbfa;b;c\n1;2;3\n"), "csv", []string{"a\tb\tc\n1\t2\t3"}},
		{"txt table stays txt", "x.txt", []byte("RELEVE\nDate | Heures\n2026-03-02 | 7.50\nTotal 7.50\n"), "txt", []string{"2026-03-02 | 7.50"}},
		{"csv sniffed without extension", "export", []byte("a;b\n1;2\n3;4\n"), "csv", []string{"3\t4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(Config{}).Read(context.Background(), tt.file, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if c.Format != tt.format {
				t.Errorf("format = %q, want %q", c.Format, tt.format)
			}
			for _, s := range tt.contains {
				if !strings.Contains(c.Text, s) {
					t.Errorf("text %q does not contain %q", c.Text, s)
				}
			}
		})
	}
}

func TestReadPDF(t *testing.T) {
	t.Parallel()
	requireTool(t, "pdftotext", "pdfinfo")
	c, err := New(Config{}).Read(context.Background(), "c.bin", minimalPDF("CONTRAT DE MISSION", "Taux horaire : 13,45"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Format != "pdf" || c.Pages != 1 || !strings.Contains(c.Text, "Taux horaire : 13,45") {
		t.Fatalf("got %+v", c)
	}
	if _, err := New(Config{MaxPages: 1}).Read(context.Background(), "c.pdf", minimalPDF("x")); err != nil {
		t.Fatalf("one page within a limit of one: %v", err)
	}
}

func TestReadPanicIsCorrupt(t *testing.T) {
	t.Parallel()
	// A TIFF header that claims an IFD beyond the data must not crash.
	_, err := New(Config{}).Read(context.Background(), "x.tif", []byte("II*\x00\xff\xff\xff\x7f"))
	if got := refusalCode(err); got != derrors.CorruptDocument {
		t.Fatalf("refusal = %q (%v), want corrupt_document", got, err)
	}
}

var _ pipeline.Reader = (*Reader)(nil)

func TestReadOffice(t *testing.T) {
	t.Parallel()
	docx := zipOf(t, map[string]string{
		"word/document.xml": `<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:r><w:t>CONTRAT DE MISSION</w:t></w:r></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Entreprise de travail temporaire</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Entreprise utilisatrice</w:t></w:r></w:p></w:tc></w:tr>
<w:tr><w:tc><w:p><w:r><w:t>Agence Test</w:t><w:br/><w:t>SIRET : 123</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Client Test</w:t><w:br/><w:t>SIRET : 456</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
<w:p><w:r><w:t xml:space="preserve">Taux horaire : </w:t></w:r><w:r><w:t>13,45 €</w:t></w:r></w:p></w:body></w:document>`,
		"word/header1.xml": `<w:hdr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:p><w:r><w:t>En-tête agence</w:t></w:r></w:p></w:hdr>`,
	})
	xlsx := zipOf(t, map[string]string{
		"xl/workbook.xml":            `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>`,
		"xl/sharedStrings.xml":       `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>Date</t></si><si><r><t>Heu</t></r><r><t>res</t></r></si><si><t>TOTAL</t></si></sst>`,
		"xl/styles.xml":              `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/><numFmt numFmtId="165" formatCode="hh:mm"/></numFmts><cellXfs><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="14"/></cellXfs></styleSheet>`,
		"xl/worksheets/sheet1.xml": `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row>
<row r="2"><c r="A2" s="1"><v>46083</v></c><c r="B2" s="2"><v>0.3125</v></c><c r="C2"><v>7.5</v></c></row>
<row r="3"><c r="A3" s="3"><v>46084</v></c><c r="C3"><v>0</v></c></row>
<row r="4"><c r="A4" t="s"><v>2</v></c><c r="C4" t="str"><f>SUM(C2:C3)</f><v>7.5</v></c></row></sheetData></worksheet>`,
	})
	tests := []struct {
		name     string
		data     []byte
		format   string
		contains []string
	}{
		{"docx", docx, "docx", []string{"En-tête agence\nCONTRAT DE MISSION", "Entreprise de travail temporaire | Entreprise utilisatrice", "Agence Test | Client Test\nSIRET : 123 | SIRET : 456", "Taux horaire : 13,45 €"}},
		{"xlsx", xlsx, "xlsx", []string{"Date\t\tHeures", "2026-03-02\t07:30\t7.5", "2026-03-03\t\t0", "TOTAL\t\t7.5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(Config{}).Read(context.Background(), "file.bin", tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if c.Format != tt.format {
				t.Errorf("format = %q, want %q", c.Format, tt.format)
			}
			for _, s := range tt.contains {
				if !strings.Contains(c.Text, s) {
					t.Errorf("text %q does not contain %q", c.Text, s)
				}
			}
		})
	}
}
