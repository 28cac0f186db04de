package reader

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
)

// readXLSX extracts every sheet of a workbook as lines of tab-separated
// cells. Numbers in date formats become ISO dates (YYYY-MM-DD), times
// HH:MM; formula cells give their cached value. Sheets are streamed: their
// XML is decoded token by token as it inflates and each row goes into the
// text as soon as it ends, so memory follows the text, not the XML.
func readXLSX(c *container) (pipeline.Content, error) {
	wb, err := readWorkbook(c)
	if err != nil {
		return pipeline.Content{}, err
	}
	strs, err := readSharedStrings(c)
	if err != nil {
		return pipeline.Content{}, err
	}
	styles, err := readStyles(c)
	if err != nil {
		return pipeline.Content{}, err
	}
	b := &strings.Builder{}
	n := 0
	for _, sh := range wb.sheets {
		p, err := c.open(sh.part)
		if err != nil {
			return pipeline.Content{}, err
		}
		if p == nil {
			continue
		}
		limit := int(c.limit) - b.Len()
		if n > 0 {
			b.WriteString("\f")
		}
		if len(wb.sheets) > 1 {
			b.WriteString(sh.name + "\n")
		}
		b, err = streamSheet(p, b, strs, styles, wb.date1904, limit)
		if err != nil && !errors.Is(err, errTextTooLarge) {
			// As when the part was read whole: its size and damage first.
			if derr := p.drain(); derr != nil {
				err = derr
			}
		}
		p.Close()
		if errors.Is(err, derrors.Refused) {
			return pipeline.Content{}, err
		}
		if errors.Is(err, errTextTooLarge) {
			return pipeline.Content{}, derrors.Refuse(derrors.TooLarge, "%s: %s lays out to more than %d bytes of text", c.name, sh.part, c.limit)
		}
		if err != nil {
			return pipeline.Content{}, c.xmlError(sh.part, err)
		}
		n++
	}
	return pipeline.Content{Text: b.String(), Format: "xlsx", Pages: n, Confidence: 1}, nil
}

type sheetRef struct{ name, part string }

type workbook struct {
	sheets   []sheetRef
	date1904 bool
}

// readWorkbook lists the sheets in workbook order with their part names.
func readWorkbook(c *container) (workbook, error) {
	data, err := c.mustRead("xl/workbook.xml")
	if err != nil {
		return workbook{}, err
	}
	var doc struct {
		Pr struct {
			Date1904 string `xml:"date1904,attr"`
		} `xml:"workbookPr"`
		Sheets []struct {
			Name string `xml:"name,attr"`
			ID   string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		return workbook{}, c.xmlError("xl/workbook.xml", err)
	}
	rels := map[string]string{}
	if data, err := c.read("xl/_rels/workbook.xml.rels"); err != nil {
		return workbook{}, err
	} else if data != nil {
		var r struct {
			Rels []struct {
				ID     string `xml:"Id,attr"`
				Target string `xml:"Target,attr"`
			} `xml:"Relationship"`
		}
		if err := xml.Unmarshal(data, &r); err != nil {
			return workbook{}, c.xmlError("xl/_rels/workbook.xml.rels", err)
		}
		for _, rel := range r.Rels {
			t := rel.Target
			if strings.HasPrefix(t, "/") {
				t = strings.TrimPrefix(t, "/")
			} else {
				t = path.Join("xl", t)
			}
			rels[rel.ID] = t
		}
	}
	wb := workbook{date1904: doc.Pr.Date1904 == "1" || doc.Pr.Date1904 == "true"}
	for i, s := range doc.Sheets {
		part := rels[s.ID]
		if part == "" {
			part = "xl/worksheets/sheet" + strconv.Itoa(i+1) + ".xml"
		}
		wb.sheets = append(wb.sheets, sheetRef{name: s.Name, part: part})
	}
	return wb, nil
}

// richText is a string item: plain text or runs; phonetic runs are skipped.
// As xml.Unmarshal would fill a struct {T string `xml:"t"`; R []struct{T
// string `xml:"t"`} `xml:"r"`}: the last <t> child gives T, each <r> a run
// (the text of its last <t>).
type richText struct {
	T string
	R []string
}

func (rt richText) String() string {
	if len(rt.R) == 0 {
		return rt.T
	}
	var b strings.Builder
	b.WriteString(rt.T)
	for _, r := range rt.R {
		b.WriteString(r)
	}
	return b.String()
}

// decodeRich reads the children of a string item (<si> or <is>, whose
// start d has just returned) into rt.
func decodeRich(d *xml.Decoder, rt *richText) error {
	return children(d, func(se xml.StartElement) error {
		switch se.Name.Local {
		case "t":
			t, err := elementText(d)
			rt.T = t
			return err
		case "r":
			run := ""
			err := children(d, func(se xml.StartElement) error {
				if se.Name.Local != "t" {
					return d.Skip()
				}
				t, err := elementText(d)
				run = t
				return err
			})
			rt.R = append(rt.R, run)
			return err
		}
		return d.Skip()
	})
}

// children calls fn on each child element of the element whose start d
// has just returned, up to its end; fn must consume the child whole.
func children(d *xml.Decoder, fn func(xml.StartElement) error) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := fn(t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// elementText returns the character data directly inside the element whose
// start d has just returned (that of nested elements is skipped, as
// xml.Unmarshal does into a string).
func elementText(d *xml.Decoder) (string, error) {
	var b []byte
	for {
		tok, err := d.Token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			b = append(b, t...)
		case xml.StartElement:
			if err := d.Skip(); err != nil {
				return "", err
			}
		case xml.EndElement:
			return string(b), nil
		}
	}
}

// decodeRoot reads up to the root element of a part and calls fn on its
// children. Like xml.Unmarshal it stops at the end of the root; the rest
// of the part is not parsed.
func decodeRoot(d *xml.Decoder, fn func(xml.StartElement) error) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		if _, ok := tok.(xml.StartElement); ok {
			return children(d, fn)
		}
	}
}

// readSharedStrings streams the shared strings table (within the
// container's budget, like every part) into the strings themselves.
func readSharedStrings(c *container) ([]string, error) {
	const part = "xl/sharedStrings.xml"
	p, err := c.open(part)
	if p == nil || err != nil {
		return nil, err
	}
	defer p.Close()
	var out []string
	d := xml.NewDecoder(p)
	err = decodeRoot(d, func(se xml.StartElement) error {
		if se.Name.Local != "si" {
			return d.Skip()
		}
		var rt richText
		err := decodeRich(d, &rt)
		out = append(out, rt.String())
		return err
	})
	// As when the part was read whole: its size and damage first.
	if derr := p.drain(); derr != nil {
		return nil, derr
	}
	if err != nil {
		return nil, c.xmlError(part, err)
	}
	return out, nil
}

// numKind is how a number format shows a number.
type numKind int

const (
	numPlain numKind = iota
	numDate
	numTime
	numDateTime
	numPercent
)

// readStyles returns the number kind of each cell style index.
func readStyles(c *container) ([]numKind, error) {
	data, err := c.read("xl/styles.xml")
	if err != nil || data == nil {
		return nil, err
	}
	var doc struct {
		NumFmts []struct {
			ID   int    `xml:"numFmtId,attr"`
			Code string `xml:"formatCode,attr"`
		} `xml:"numFmts>numFmt"`
		XFs []struct {
			NumFmtID int `xml:"numFmtId,attr"`
		} `xml:"cellXfs>xf"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		return nil, c.xmlError("xl/styles.xml", err)
	}
	custom := map[int]string{}
	for _, f := range doc.NumFmts {
		custom[f.ID] = f.Code
	}
	out := make([]numKind, len(doc.XFs))
	for i, xf := range doc.XFs {
		out[i] = formatKind(xf.NumFmtID, custom[xf.NumFmtID])
	}
	return out, nil
}

// formatKind classifies a number format: built-in ids 14-17 and 22 are
// dates, 18-21 and 45-47 times, 9-10 percentages; a custom code is a date
// when it has d or y outside quotes and brackets, a time when it has h or s.
func formatKind(id int, code string) numKind {
	switch {
	case id >= 14 && id <= 17, id >= 27 && id <= 36, id >= 50 && id <= 58:
		return numDate
	case id == 22:
		return numDateTime
	case id >= 18 && id <= 21, id >= 45 && id <= 47:
		return numTime
	case id == 9 || id == 10:
		return numPercent
	}
	if code == "" {
		return numPlain
	}
	var b strings.Builder
	quoted, bracket := false, false
	for _, r := range strings.ToLower(code) {
		switch {
		case r == '"':
			quoted = !quoted
		case r == '[' && !quoted:
			bracket = true
		case r == ']' && !quoted:
			bracket = false
		case !quoted && !bracket:
			b.WriteRune(r)
		}
	}
	s := b.String()
	date := strings.ContainsAny(s, "dy")
	tm := strings.ContainsAny(s, "hs")
	switch {
	case date && tm:
		return numDateTime
	case date:
		return numDate
	case tm:
		return numTime
	case strings.Contains(s, "%"):
		return numPercent
	}
	return numPlain
}

// readSheet renders a worksheet's XML as lines of tab-separated cells, at
// most limit bytes of them (see streamSheet).
func readSheet(data []byte, strs []string, styles []numKind, date1904 bool, limit int) (string, error) {
	b, err := streamSheet(bytes.NewReader(data), &strings.Builder{}, strs, styles, date1904, limit)
	if err != nil {
		return "", err
	}
	return b.String(), nil
}

// cell is one non-empty cell of a row: its column and text.
type cell struct {
	col int
	v   string
}

// streamSheet decodes a worksheet from r token by token and appends its
// rows to b as lines of tab-separated cells, each as soon as it ends, in
// the order of their row numbers. At most limit bytes of lines: a few
// cells far to the right of many rows would otherwise lay out to gigabytes
// of tabs; past it the XML is still decoded to its end (a malformed sheet
// is corrupt before it is too large) and errTextTooLarge returned.
//
// It returns the builder holding the text: b itself, or a new one when
// rows came out of order and had to be sorted (rare: spreadsheet programs
// write rows in order).
func streamSheet(r io.Reader, b *strings.Builder, strs []string, styles []numKind, date1904 bool, limit int) (*strings.Builder, error) {
	d := xml.NewDecoder(r)
	start := b.Len()
	var (
		rowNums  []int // row number of each line written
		sorted   = true
		tooLarge bool
		nrows    int
		cells    []cell
	)
	writeRow := func(n int) {
		if len(cells) == 0 {
			return
		}
		if tooLarge {
			return
		}
		// The last non-empty value of each column, columns in order.
		byCol := func(a, b cell) int { return a.col - b.col }
		if !slices.IsSortedFunc(cells, byCol) {
			slices.SortStableFunc(cells, byCol)
		}
		col := 0
		for i, c := range cells {
			if i+1 < len(cells) && cells[i+1].col == c.col {
				continue
			}
			if b.Len()-start+c.col-col > limit {
				tooLarge = true
				return
			}
			for ; col < c.col; col++ {
				b.WriteByte('\t')
			}
			b.WriteString(c.v)
		}
		b.WriteByte('\n')
		if b.Len()-start > limit {
			tooLarge = true
			return
		}
		if len(rowNums) > 0 && n < rowNums[len(rowNums)-1] {
			sorted = false
		}
		rowNums = append(rowNums, n)
	}
	readRow := func(se xml.StartElement) error {
		nrows++
		n := 0
		for _, a := range se.Attr {
			if a.Name.Local == "r" {
				v, err := intAttr(a.Value)
				if err != nil {
					return err
				}
				n = v
			}
		}
		if n == 0 {
			n = nrows
		}
		cells = cells[:0]
		col := 0
		err := children(d, func(se xml.StartElement) error {
			if se.Name.Local != "c" {
				return d.Skip()
			}
			var ref, typ string
			style := 0
			for _, a := range se.Attr {
				switch a.Name.Local {
				case "r":
					ref = a.Value
				case "t":
					typ = a.Value
				case "s":
					v, err := intAttr(a.Value)
					if err != nil {
						return err
					}
					style = v
				}
			}
			var v string
			var is richText
			err := children(d, func(se xml.StartElement) error {
				switch se.Name.Local {
				case "v":
					t, err := elementText(d)
					v = t
					return err
				case "is":
					return decodeRich(d, &is)
				}
				return d.Skip()
			})
			if err != nil {
				return err
			}
			if ref != "" {
				col = colIndex(ref)
			}
			val := cellValue(typ, v, is, style, strs, styles, date1904)
			if val = strings.Join(strings.Fields(val), " "); val != "" {
				cells = append(cells, cell{col, val})
			}
			col++
			return nil
		})
		if err != nil {
			return err
		}
		writeRow(n)
		return nil
	}
	err := decodeRoot(d, func(se xml.StartElement) error {
		if se.Name.Local != "sheetData" {
			return d.Skip()
		}
		return children(d, func(se xml.StartElement) error {
			if se.Name.Local != "row" {
				return d.Skip()
			}
			return readRow(se)
		})
	})
	if err != nil {
		return b, err
	}
	if p, ok := r.(*partReader); ok {
		if err := p.drain(); err != nil {
			return b, err
		}
	}
	if tooLarge {
		return b, errTextTooLarge
	}
	if sorted {
		return b, nil
	}
	// Rows out of order: sort the lines by row number (stably, as they
	// came for equal numbers) into a new builder.
	text := b.String()
	lines := strings.SplitAfter(text[start:], "\n")[:len(rowNums)]
	order := make([]int, len(lines))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return rowNums[order[i]] < rowNums[order[j]] })
	nb := &strings.Builder{}
	nb.Grow(len(text))
	nb.WriteString(text[:start])
	for _, i := range order {
		nb.WriteString(lines[i])
	}
	return nb, nil
}

// intAttr parses an integer attribute as xml.Unmarshal does into an int.
func intAttr(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return int(n), err
}

// maxColumns is how many columns a worksheet has (A to XFD).
const maxColumns = 16384

// colIndex returns the 0-based column of a cell reference such as "AB12";
// references past the last column count as the last column.
func colIndex(ref string) int {
	n := 0
	for _, r := range ref {
		if r < 'A' || r > 'Z' {
			break
		}
		n = min(n*26+int(r-'A'+1), maxColumns)
	}
	return max(n-1, 0)
}

// cellValue formats one cell as its type and style say.
func cellValue(t, v string, is richText, style int, strs []string, styles []numKind, date1904 bool) string {
	switch t {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || i < 0 || i >= len(strs) {
			return ""
		}
		return strs[i]
	case "inlineStr":
		return is.String()
	case "str", "e":
		return v
	case "b":
		if v == "1" {
			return "TRUE"
		}
		return "FALSE"
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return v
	}
	kind := numPlain
	if style >= 0 && style < len(styles) {
		kind = styles[style]
	}
	switch kind {
	case numDate:
		return excelTime(f, date1904).Format(time.DateOnly)
	case numDateTime:
		return excelTime(f, date1904).Format("2006-01-02 15:04")
	case numTime:
		return excelTime(f, date1904).Format("15:04")
	case numPercent:
		return formatNumber(f*100) + "%"
	}
	return formatNumber(f)
}

// excelTime converts an Excel serial day number to a time in UTC.
func excelTime(serial float64, date1904 bool) time.Time {
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	if date1904 {
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	days := math.Floor(serial)
	secs := math.Round((serial - days) * 86400)
	return base.AddDate(0, 0, int(days)).Add(time.Duration(secs) * time.Second)
}

// formatNumber prints a number without binary noise (0.1+0.2 → 0.3).
func formatNumber(f float64) string {
	return strconv.FormatFloat(math.Round(f*1e9)/1e9, 'f', -1, 64)
}
