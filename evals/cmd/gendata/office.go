package main

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"time"
)

// zipTime is the modification time of every zipped part, so that the
// output does not change from one run to the next.
var zipTime = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// zipOf writes the parts, in the order given, into a zip archive.
func zipOf(parts ...[2]string) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, p := range parts {
		f, err := w.CreateHeader(&zip.FileHeader{Name: p[0], Method: zip.Deflate, Modified: zipTime})
		if err != nil {
			panic(err)
		}
		f.Write([]byte(p[1]))
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// block is a paragraph (its lines broken by <w:br/>) or a table of a DOCX.
type block struct {
	text  string
	table [][]string
}

func para(text string) block      { return block{text: text} }
func table(rows [][]string) block { return block{table: rows} }
func paras(text string) (out []block) {
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		out = append(out, para(l))
	}
	return out
}

const wNS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

func docxPara(text string) string {
	var b strings.Builder
	b.WriteString("<w:p><w:r>")
	for i, l := range strings.Split(text, "\n") {
		if i > 0 {
			b.WriteString("<w:br/>")
		}
		fmt.Fprintf(&b, `<w:t xml:space="preserve">%s</w:t>`, esc(l))
	}
	b.WriteString("</w:r></w:p>")
	return b.String()
}

// docx returns a Word document of the blocks, with header as its page header.
func docx(header string, blocks ...block) []byte {
	var body strings.Builder
	for _, bl := range blocks {
		if bl.table == nil {
			body.WriteString(docxPara(bl.text))
			continue
		}
		body.WriteString(`<w:tbl><w:tblPr><w:tblBorders><w:insideH w:val="single"/><w:insideV w:val="single"/></w:tblBorders></w:tblPr>`)
		for _, row := range bl.table {
			body.WriteString("<w:tr>")
			for _, cell := range row {
				body.WriteString("<w:tc>" + docxPara(cell) + "</w:tc>")
			}
			body.WriteString("</w:tr>")
		}
		body.WriteString("</w:tbl>")
	}
	return zipOf(
		[2]string{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/></Types>`},
		[2]string{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		[2]string{"word/_rels/document.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/></Relationships>`},
		[2]string{"word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="` + wNS + `" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>` + body.String() +
			`<w:sectPr><w:headerReference w:type="default" r:id="rId1"/><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>`},
		[2]string{"word/header1.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:hdr xmlns:w="` + wNS + `">` + docxPara(header) + `</w:hdr>`},
	)
}

// cell is one cell of a worksheet.
type cell struct {
	kind    cellKind
	text    string
	number  float64
	formula string
}

type cellKind int

const (
	empty cellKind = iota
	text
	number // a decimal shown with two places
	date   // an Excel day number shown as a date
	clockTime
)

func str(s string) cell             { return cell{kind: text, text: s} }
func dec(f float64) cell            { return cell{kind: number, number: f} }
func sum(f float64, fm string) cell { return cell{kind: number, number: f, formula: fm} }
func xlDate(t time.Time) cell {
	return cell{kind: date, number: float64(t.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24)}
}
func xlTime(hhmm string) cell {
	var h, m int
	fmt.Sscanf(hhmm, "%d:%d", &h, &m)
	return cell{kind: clockTime, number: float64(h*60+m) / 1440}
}

// xlsx returns a workbook of one sheet named sheet, with shared strings
// and styles for dates (dd/mm/yyyy), times (hh:mm) and decimals (0.00).
func xlsx(sheet string, rows [][]cell) []byte {
	var strs []string
	index := map[string]int{}
	var data strings.Builder
	for r, row := range rows {
		fmt.Fprintf(&data, `<row r="%d">`, r+1)
		for c, v := range row {
			ref := fmt.Sprintf("%c%d", 'A'+c, r+1)
			switch v.kind {
			case text:
				i, ok := index[v.text]
				if !ok {
					i = len(strs)
					index[v.text] = i
					strs = append(strs, v.text)
				}
				fmt.Fprintf(&data, `<c r="%s" t="s"><v>%d</v></c>`, ref, i)
			case number, date, clockTime:
				style := map[cellKind]int{number: 3, date: 1, clockTime: 2}[v.kind]
				f := ""
				if v.formula != "" {
					f = "<f>" + v.formula + "</f>"
				}
				fmt.Fprintf(&data, `<c r="%s" s="%d">%s<v>%s</v></c>`, ref, style, f, fmtNum(v.number))
			}
		}
		data.WriteString("</row>")
	}
	var sst strings.Builder
	fmt.Fprintf(&sst, `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, len(strs), len(strs))
	for _, s := range strs {
		fmt.Fprintf(&sst, `<si><t xml:space="preserve">%s</t></si>`, esc(s))
	}
	sst.WriteString("</sst>")
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	return zipOf(
		[2]string{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`},
		[2]string{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		[2]string{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook ` + ns + ` xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="` + esc(sheet) + `" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		[2]string{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`},
		[2]string{"xl/styles.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet ` + ns + `><numFmts count="2"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/><numFmt numFmtId="165" formatCode="hh:mm"/></numFmts><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="165" applyNumberFormat="1"/><xf numFmtId="2" applyNumberFormat="1"/></cellXfs></styleSheet>`},
		[2]string{"xl/sharedStrings.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + sst.String()},
		[2]string{"xl/worksheets/sheet1.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet ` + ns + `><sheetData>` + data.String() + `</sheetData></worksheet>`},
	)
}

func fmtNum(f float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.10f", f), "0"), ".")
}
