package reader

import (
	"encoding/xml"
	"errors"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
)

// readXLSX extracts every sheet of a workbook as lines of tab-separated
// cells. Numbers in date formats become ISO dates (YYYY-MM-DD), times
// HH:MM; formula cells give their cached value.
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
	var b strings.Builder
	n := 0
	for _, sh := range wb.sheets {
		data, err := c.read(sh.part)
		if err != nil {
			return pipeline.Content{}, err
		}
		if data == nil {
			continue
		}
		grid, err := readSheet(data, strs, styles, wb.date1904, int(c.limit)-b.Len())
		if errors.Is(err, errTextTooLarge) {
			return pipeline.Content{}, derrors.Refuse(derrors.TooLarge, "%s: %s lays out to more than %d bytes of text", c.name, sh.part, c.limit)
		}
		if err != nil {
			return pipeline.Content{}, c.xmlError(sh.part, err)
		}
		if n > 0 {
			b.WriteString("\f")
		}
		if len(wb.sheets) > 1 {
			b.WriteString(sh.name + "\n")
		}
		b.WriteString(grid)
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
type richText struct {
	T string `xml:"t"`
	R []struct {
		T string `xml:"t"`
	} `xml:"r"`
}

func (rt richText) String() string {
	if len(rt.R) == 0 {
		return rt.T
	}
	var b strings.Builder
	b.WriteString(rt.T)
	for _, r := range rt.R {
		b.WriteString(r.T)
	}
	return b.String()
}

func readSharedStrings(c *container) ([]string, error) {
	data, err := c.read("xl/sharedStrings.xml")
	if err != nil || data == nil {
		return nil, err
	}
	var doc struct {
		SI []richText `xml:"si"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		return nil, c.xmlError("xl/sharedStrings.xml", err)
	}
	out := make([]string, len(doc.SI))
	for i, si := range doc.SI {
		out[i] = si.String()
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

// readSheet renders a worksheet as lines of tab-separated cells, at most
// limit bytes of them: a few cells far to the right of many rows would
// otherwise lay out to gigabytes of tabs.
func readSheet(data []byte, strs []string, styles []numKind, date1904 bool, limit int) (string, error) {
	var doc struct {
		Rows []struct {
			R     int `xml:"r,attr"`
			Cells []struct {
				Ref string   `xml:"r,attr"`
				S   int      `xml:"s,attr"`
				T   string   `xml:"t,attr"`
				V   string   `xml:"v"`
				IS  richText `xml:"is"`
			} `xml:"c"`
		} `xml:"sheetData>row"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		return "", err
	}
	type row struct {
		n     int
		cells map[int]string
	}
	var rows []row
	for i, r := range doc.Rows {
		n := r.R
		if n == 0 {
			n = i + 1
		}
		cells := map[int]string{}
		col := 0
		for _, c := range r.Cells {
			if c.Ref != "" {
				col = colIndex(c.Ref)
			}
			v := cellValue(c.T, c.V, c.IS, c.S, strs, styles, date1904)
			if v = strings.Join(strings.Fields(v), " "); v != "" {
				cells[col] = v
			}
			col++
		}
		if len(cells) > 0 {
			rows = append(rows, row{n, cells})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].n < rows[j].n })
	var b strings.Builder
	for _, r := range rows {
		last := 0
		for c := range r.cells {
			last = max(last, c)
		}
		parts := make([]string, last+1)
		for c, v := range r.cells {
			parts[c] = v
		}
		b.WriteString(strings.Join(parts, "\t"))
		b.WriteByte('\n')
		if b.Len() > limit {
			return "", errTextTooLarge
		}
	}
	return b.String(), nil
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
