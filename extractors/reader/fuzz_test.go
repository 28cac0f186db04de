package reader

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline/testdocs"
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

// datasetFile returns a file of the project's evaluation dataset, realistic
// input for seeds; it fails the fuzz target when the file is gone.
func datasetFile(f *testing.F, rel string) []byte {
	f.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "evals", "testdata", "dataset", rel))
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// zipPart returns one part of a zip archive (a DOCX or XLSX).
func zipPart(f *testing.F, data []byte, part string) []byte {
	f.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		f.Fatal(err)
	}
	for _, zf := range zr.File {
		if zf.Name == part {
			rc, err := zf.Open()
			if err != nil {
				f.Fatal(err)
			}
			defer rc.Close()
			var b bytes.Buffer
			if _, err := b.ReadFrom(rc); err != nil {
				f.Fatal(err)
			}
			return b.Bytes()
		}
	}
	f.Fatalf("no part %s", part)
	return nil
}

// allocated returns how many bytes fn allocates on the heap. The fuzz
// engine runs one input at a time in each worker process, so the count is
// fn's own, give or take a few kilobytes.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// knownKinds are the formats sniff may return.
var knownKinds = map[kind]bool{kindUnknown: true, kindPDF: true, kindImage: true, kindZip: true, kindOLE: true, kindEmail: true, kindCSV: true, kindText: true}

// FuzzSniffCheck checks intake's cheap checks on any bytes: sniff returns
// a known format, Check refuses only with refusals (never another error),
// and what Check lets through is a format Read parses.
func FuzzSniffCheck(f *testing.F) {
	for _, rel := range []string{"contracts/c-01.pdf", "timesheets/t-03.csv", "timesheets/t-06.txt", "inbox/e-03.eml", "bad/truncated.pdf", "bad/archive.zip"} {
		f.Add(datasetFile(f, rel), filepath.Base(rel))
	}
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "scan.png")
	f.Add([]byte("II*\x00\x08\x00\x00\x00"), "scan.tif")
	f.Add([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 'E', 0, 'n', 0}, "old.doc")
	f.Add([]byte("\xef\xbb\xbf   \r\n"), "blank.txt")
	f.Add([]byte("Date;Heures\n02/03;7,5\n"), "x.txt")
	r := New(Config{MaxBytes: 1 << 20, MaxPages: 50})
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		k := sniff(data, name)
		if !knownKinds[k] {
			t.Fatalf("sniff = %d", k)
		}
		err := r.Check(name, data)
		if err == nil {
			if k == kindUnknown || k == kindOLE {
				t.Fatalf("Check let through format %d", k)
			}
			return
		}
		ref, ok := derrors.AsRefusal(err)
		if !ok {
			t.Fatalf("Check error is not a refusal: %v", err)
		}
		if !utf8.ValidString(ref.Code) || ref.Code == "" {
			t.Fatalf("refusal code %q", ref.Code)
		}
	})
}

// FuzzCheckPDF checks the PDF markers Check reads without a PDF parser
// (encryption, truncation, declared page count) on bytes that sniff as PDF.
func FuzzCheckPDF(f *testing.F) {
	f.Add(datasetFile(f, "contracts/c-01.pdf"))
	f.Add(datasetFile(f, "bad/encrypted.pdf"))
	f.Add(datasetFile(f, "bad/truncated.pdf"))
	f.Add(testdocs.PDF("Contrat de mission\nSIRET 732 829 320 00074"))
	f.Add([]byte("%PDF-1.7\n1 0 obj << /Type /Pages /Count 99999999999999999999 /Kids [] >> endobj\nstartxref\n0\n%%EOF"))
	f.Add([]byte("%PDF-1.4\n<< /Count 300 /Type /Pages >>\ntrailer << /Encrypt 5 0 R >>\nstartxref 9\n%%EOF"))
	const maxPages = 50
	r := New(Config{MaxPages: maxPages})
	f.Fuzz(func(t *testing.T, data []byte) {
		n := declaredPages(data)
		if n < 0 {
			t.Fatalf("declaredPages = %d", n)
		}
		if sniff(data, "x.pdf") != kindPDF {
			return
		}
		err := r.Check("x.pdf", data)
		ref, isRefusal := derrors.AsRefusal(err)
		switch {
		case err != nil && !isRefusal:
			t.Fatalf("Check error is not a refusal: %v", err)
		case encryptRef.Match(data):
			if !isRefusal || ref.Code != derrors.EncryptedDocument {
				t.Fatalf("encrypted PDF: %v", err)
			}
		case !bytes.Contains(data, []byte("startxref")) || !bytes.Contains(data, []byte("%%EOF")):
			if !isRefusal || ref.Code != derrors.CorruptDocument {
				t.Fatalf("truncated PDF: %v", err)
			}
		case n > maxPages:
			if !isRefusal || ref.Code != derrors.TooLarge {
				t.Fatalf("PDF of %d pages: %v", n, err)
			}
		case len(bytes.TrimSpace(data)) > 0 && err != nil:
			t.Fatalf("a PDF of %d pages refused: %v", n, err)
		}
	})
}

// FuzzReadDOCX checks WordprocessingML parsing: valid UTF-8 lines, and
// text and memory that grow linearly with the XML (tables are laid out
// side by side, which must not multiply).
func FuzzReadDOCX(f *testing.F) {
	for _, rel := range []string{"contracts/c-03.docx", "timesheets/t-05.docx"} {
		f.Add(zipPart(f, datasetFile(f, rel), "word/document.xml"))
	}
	f.Add([]byte(`<w:document xmlns:w="w"><w:body><w:p><w:r><w:t>CONTRAT</w:t><w:tab/><w:t xml:space="preserve">n° </w:t></w:r></w:p><w:tbl><w:tr><w:tc><w:p><w:r><w:t>a</w:t><w:br/><w:t>b</w:t></w:r></w:p></w:tc><w:tc><w:tbl><w:tr><w:tc><w:p><w:r><w:t>nested</w:t></w:r></w:p></w:tc></w:tr></w:tbl></w:tc></w:tr></w:tbl><w:p><w:r><w:delText>gone</w:delText></w:r></w:p></w:body></w:document>`))
	// A wide row whose last cell has many lines: the layout must stay linear.
	f.Add([]byte("<tbl><tr>" + strings.Repeat("<tc/>", 300) + "<tc><p>" + strings.Repeat("<br/><t>x</t>", 300) + "</p></tc></tr></tbl>"))
	f.Add([]byte("<tbl><tr><tc><p><t>x</t>" + strings.Repeat("<br/>", 300) + "</p></tc>" + strings.Repeat("<tc/>", 3000) + "</tr></tbl>"))
	// A row opened inside a cell: the cell is the old row's, not the new one's.
	f.Add([]byte(`<tbl><tr><tc><tr><p><t>x</t></p></tr></tc></tr></tbl>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		limit := 16*len(data) + 1024
		var lines []string
		var err error
		alloc := allocated(func() { lines, err = docxLines(data, limit) })
		if alloc > uint64(64*len(data)+1<<20) {
			t.Fatalf("docxLines allocated %d bytes for %d bytes of XML", alloc, len(data))
		}
		if err != nil {
			return
		}
		size := 0
		for _, l := range lines {
			size += len(l) + 1
			if !utf8.ValidString(l) {
				t.Fatalf("line is not UTF-8: %q", l)
			}
		}
		if size > limit {
			t.Fatalf("%d bytes of text from %d bytes of XML, more than the limit", size, len(data))
		}
	})
}

// FuzzReadSheet checks SpreadsheetML parsing: valid UTF-8 text, bounded
// memory whatever the cell references say, and dates that print as dates.
func FuzzReadSheet(f *testing.F) {
	for _, rel := range []string{"timesheets/t-02.xlsx", "timesheets/t-08.xlsx"} {
		f.Add(zipPart(f, datasetFile(f, rel), "xl/worksheets/sheet1.xml"), false)
	}
	f.Add([]byte(`<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" s="1"><v>46083.3125</v></c><c r="C1" s="2"><v>0.3125</v></c><c t="inlineStr"><is><r><t>in</t></r><r><t>line</t></r></is></c><c t="b"><v>1</v></c><c s="3"><v>0.125</v></c></row><row r="3"><c r="XFD3"><v>-1e308</v></c></row></sheetData></worksheet>`), true)
	f.Add([]byte(`<worksheet><sheetData><row><c r="ZZZZZZZZZZZZZ1"><v>1</v></c></row></sheetData></worksheet>`), false)
	strs := []string{"Date", "Heures", ""}
	styles := []numKind{numPlain, numDate, numTime, numPercent, numDateTime}
	f.Fuzz(func(t *testing.T, data []byte, date1904 bool) {
		var text string
		var err error
		alloc := allocated(func() { text, err = readSheet(data, strs, styles, date1904, 1<<20) })
		if limit := uint64(64*len(data) + 4<<20); alloc > limit {
			t.Fatalf("readSheet allocated %d bytes for %d bytes of XML", alloc, len(data))
		}
		if err != nil {
			return
		}
		if !utf8.ValidString(text) {
			t.Fatalf("text is not UTF-8: %q", text)
		}
		if len(text) > 1<<20 {
			t.Fatalf("%d bytes of text, more than the limit", len(text))
		}
	})
}

// FuzzHTMLToText checks the rendering of HTML mail bodies: UTF-8 in,
// UTF-8 out, no markup of a script left, no run of blank lines, and a
// size bounded by the input's.
func FuzzHTMLToText(f *testing.F) {
	f.Add(`<html><head><title>t</title><style>p{}</style></head><body><p>Relevé&nbsp;d&#39;heures</p><table><tr><td>Lun 02/03</td><td>7,50</td></tr></table><script>alert(1)</script><br><ul><li>a<li>b</ul></body></html>`)
	f.Add("<p>a</p>\n\n\n<div>\n\n<p>b</p></div><pre>  x  </pre>")
	f.Add("<table><tr><th>a<td>b<td><table><tr><td>c</table></table>")
	f.Add("plain text & < > without tags")
	f.Fuzz(func(t *testing.T, src string) {
		if !utf8.ValidString(src) {
			return
		}
		text := htmlToText(src)
		if !utf8.ValidString(text) {
			t.Fatalf("text is not UTF-8: %q", text)
		}
		if strings.Contains(text, "\n\n\n") || text != strings.TrimSpace(text) {
			t.Fatalf("blank lines not collapsed: %q", text)
		}
		// Entities shrink; cell separators and line breaks may be added.
		if len(text) > 4*len(src)+16 {
			t.Fatalf("%d bytes of text from %d bytes of HTML", len(text), len(src))
		}
	})
}

// FuzzDecodeText checks the text decoders (UTF-8, Windows-1252, declared
// charsets, RFC 2047 headers): whatever the bytes, the result is valid
// UTF-8, and bodies have \n line ends only.
func FuzzDecodeText(f *testing.F) {
	f.Add([]byte("Relev\xe9 d'heures\r\n7,50\r"), "iso-8859-1")
	f.Add([]byte("\xef\xbb\xbfP\xc3\xa9riode"), "utf-8")
	f.Add([]byte("\xff\xfeR\x00e\x00"), "utf-16")
	f.Add([]byte("\x1b$B$3$s\x1b(B"), "iso-2022-jp")
	f.Add([]byte("=?utf-8?b?Y29udHJhdC5wZGY=?= =?iso-8859-1?q?Relev=E9?="), "gb18030")
	f.Add([]byte("=?x-unknown?q?a?= =?utf-8?q?=FF?= caf\xe9"), "x-user-defined")
	f.Fuzz(func(t *testing.T, data []byte, charset string) {
		for _, s := range []string{decodeText(data), decodeCharset(data, charset)} {
			if !utf8.ValidString(s) {
				t.Fatalf("decoded text is not UTF-8: %q", s)
			}
			if strings.Contains(s, "\r") {
				t.Fatalf("\\r left in %q", s)
			}
		}
		if h := decodeHeader(string(data)); !utf8.ValidString(h) {
			t.Fatalf("decoded header is not UTF-8: %q", h)
		}
	})
}

// tiffIFD writes a little-endian TIFF header whose first IFD holds the
// given (tag, type, value) entries.
func tiffIFD(entries ...[3]uint32) []byte {
	b := []byte("II*\x00\x08\x00\x00\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(entries)))
	for _, e := range entries {
		b = binary.LittleEndian.AppendUint16(b, uint16(e[0]))
		b = binary.LittleEndian.AppendUint16(b, uint16(e[1]))
		b = binary.LittleEndian.AppendUint32(b, 1)
		b = binary.LittleEndian.AppendUint32(b, e[2])
	}
	return b
}

// FuzzImageSize checks the header reading that refuses huge images before
// decoding them: sizes found are positive, and reading a header allocates
// little whatever it declares.
func FuzzImageSize(f *testing.F) {
	var png1 bytes.Buffer
	png.Encode(&png1, image.NewGray(image.Rect(0, 0, 2480, 3508)))
	f.Add(png1.Bytes())
	f.Add(tiffIFD([3]uint32{256, 3, 2480}, [3]uint32{257, 4, 3508}))
	f.Add(tiffIFD([3]uint32{256, 4, 0xFFFFFFFF}, [3]uint32{257, 4, 0xFFFFFFFF}))
	f.Add([]byte("MM\x00*\x00\x00\x00\x08\xff\xff"))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0x03})
	f.Fuzz(func(t *testing.T, data []byte) {
		var w, h int
		var err error
		alloc := allocated(func() { w, h, err = imageSize(data) })
		if alloc > uint64(4*len(data)+1<<20) {
			t.Fatalf("imageSize allocated %d bytes for %d bytes", alloc, len(data))
		}
		if err == nil && (w <= 0 || h <= 0) {
			t.Fatalf("imageSize = %dx%d", w, h)
		}
	})
}

// FuzzDecodePGM checks the reading of pdftoppm's page images: an image is
// never larger than the bytes that hold it, whatever the header claims.
func FuzzDecodePGM(f *testing.F) {
	f.Add(append([]byte("P5\n4 2\n255\n"), 0, 64, 128, 255, 255, 128, 64, 0))
	f.Add([]byte("P5 20000 20000 255\n"))
	f.Add([]byte("P5\n# comment\n1 1\n255\n\x00"))
	f.Add([]byte("P6\n1 1\n255\n\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var img *image.Gray
		var err error
		alloc := allocated(func() { img, err = decodePGM(data) })
		if alloc > uint64(2*len(data)+1<<20) {
			t.Fatalf("decodePGM allocated %d bytes for %d bytes", alloc, len(data))
		}
		if err == nil && len(img.Pix) != img.Bounds().Dx()*img.Bounds().Dy() {
			t.Fatalf("%v: %d pixels", img.Bounds(), len(img.Pix))
		}
	})
}

// FuzzParseTSV checks the reading of tesseract's word boxes and their
// layout: every word kept has text, and the layout keeps every word, is
// UTF-8 and stays within the page's width.
func FuzzParseTSV(f *testing.F) {
	f.Add("level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n" +
		"5\t1\t1\t1\t1\t1\t120\t80\t200\t30\t96.5\tContrat\n5\t1\t1\t1\t1\t2\t340\t80\t60\t30\t91\tde\n" +
		"5\t1\t1\t1\t1\t3\t900\t80\t150\t30\t88\t2O26\n5\t1\t1\t1\t2\t1\t120\t130\t30\t30\t12\t‘\n" +
		"5\t1\t1\t1\t2\t2\t160\t130\t90\t30\t95\t“Total”\n5\t2\t1\t1\t1\t1\t10\t10\t40\t30\t-1\tx\n")
	f.Add("5\t1\t1\t1\t1\t1\t-5\t0\t0\t0\tNaN\tl1:3O\r\n5\tx\t\t\t\t\t\t\t\t\t\t\t\n")
	f.Fuzz(func(t *testing.T, tsv string) {
		words := parseTSV(tsv)
		for _, w := range words {
			if !w.speck && strings.TrimSpace(w.text) == "" {
				t.Fatalf("word %+v", w)
			}
			// tesseract's boxes lie on the page image (at most 2×10000
			// pixels, see decodePGM), and a letter is a pixel wide at least.
			if w.left < 0 || w.left > 2*maxImageSide || w.width < len([]rune(w.text)) || w.width > 2*maxImageSide {
				return
			}
		}
		text := layoutWords(words)
		if !utf8.ValidString(tsv) {
			return
		}
		if !utf8.ValidString(text) {
			t.Fatalf("layout is not UTF-8: %q", text)
		}
		if limit := len(words) * (2*maxImageSide + 80); len(text) > limit+len(tsv) {
			t.Fatalf("%d bytes of layout for %d words", len(text), len(words))
		}
		for _, w := range words {
			if !w.speck && !strings.Contains(text, w.text) {
				t.Fatalf("word %q lost from %q", w.text, text)
			}
		}
	})
}
