package reader

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"sort"
	"strings"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
)

// readDOCX extracts the text of a Word document: headers, body paragraphs
// and tables in document order, footers. A table row becomes one line with
// its cells joined by " | "; cells of several lines are laid side by side.
func readDOCX(c *container) (pipeline.Content, error) {
	body, err := c.mustRead("word/document.xml")
	if err != nil {
		return pipeline.Content{}, err
	}
	lines, err := docxLines(body, int(c.limit))
	if errors.Is(err, errTextTooLarge) {
		return pipeline.Content{}, derrors.Refuse(derrors.TooLarge, "%s: word/document.xml lays out to more than %d bytes of text", c.name, c.limit)
	}
	if err != nil {
		return pipeline.Content{}, c.xmlError("word/document.xml", err)
	}
	var head, foot []string
	seen := map[string]bool{}
	for _, part := range sortedParts(c, "word/header", "word/footer") {
		b, err := c.read(part)
		if err != nil {
			return pipeline.Content{}, err
		}
		l, err := docxLines(b, int(c.limit))
		if err != nil {
			continue // a damaged header does not spoil the body
		}
		key := strings.Join(l, "\n")
		if key == "" || seen[key] {
			continue
		}
		seen[key] = true
		if strings.HasPrefix(part, "word/header") {
			head = append(head, l...)
		} else {
			foot = append(foot, l...)
		}
	}
	all := append(append(head, lines...), foot...)
	return pipeline.Content{Text: strings.Join(all, "\n") + "\n", Format: "docx", Pages: 1, Confidence: 1}, nil
}

// sortedParts lists the parts whose names start with one of the prefixes.
func sortedParts(c *container, prefixes ...string) []string {
	var out []string
	for name := range c.files {
		for _, p := range prefixes {
			if strings.HasPrefix(name, p) && strings.HasSuffix(name, ".xml") {
				out = append(out, name)
			}
		}
	}
	sort.Strings(out)
	return out
}

// maxTableColumns is the most cells a table row keeps (Word's limit).
const maxTableColumns = 63

// docxTable is a table being read: rows of cells of lines.
type docxTable struct {
	rows     [][][]string
	cellOpen bool
}

// docxState is the reader's position in the WordprocessingML tree.
type docxState struct {
	out    []string
	paras  []*strings.Builder
	tables []*docxTable
	// budget is how many more bytes of lines may be laid out: tables laid
	// side by side and nested text boxes copy their lines, which must not
	// multiply the text beyond the limit.
	budget int
}

// docxLines reads a WordprocessingML part into lines of text, laying out
// at most limit bytes of them (else errTextTooLarge).
func docxLines(data []byte, limit int) ([]string, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	st := &docxState{budget: limit}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := st.start(dec, t); err != nil {
				return nil, err
			}
		case xml.EndElement:
			st.end(t.Name.Local)
		}
		if st.budget < 0 {
			return nil, errTextTooLarge
		}
	}
	return st.out, nil
}

func (st *docxState) start(dec *xml.Decoder, t xml.StartElement) error {
	switch t.Name.Local {
	case "p":
		st.paras = append(st.paras, &strings.Builder{})
	case "t":
		var s string
		if err := dec.DecodeElement(&s, &t); err != nil {
			return err
		}
		if p := st.para(); p != nil {
			p.WriteString(s)
		}
	case "tab":
		if p := st.para(); p != nil {
			p.WriteString("\t")
		}
	case "br", "cr":
		if p := st.para(); p != nil {
			p.WriteString("\n")
		}
	case "delText", "instrText", "Fallback", "rPh":
		return dec.Skip()
	case "tbl":
		st.tables = append(st.tables, &docxTable{})
	case "tr":
		if tb := st.table(); tb != nil {
			tb.rows = append(tb.rows, nil)
		}
	case "tc":
		if tb := st.table(); tb != nil && len(tb.rows) > 0 {
			// Word makes at most 63 columns; further cells share the last
			// one, so that a row lays out in time linear in its text.
			if row := &tb.rows[len(tb.rows)-1]; len(*row) < maxTableColumns {
				*row = append(*row, nil)
			}
			tb.cellOpen = true
		}
	}
	return nil
}

func (st *docxState) end(local string) {
	switch local {
	case "p":
		if len(st.paras) == 0 {
			return
		}
		p := st.paras[len(st.paras)-1]
		st.paras = st.paras[:len(st.paras)-1]
		var lines []string
		for _, l := range strings.Split(p.String(), "\n") {
			lines = append(lines, strings.TrimRight(l, " \t"))
		}
		st.emit(lines)
	case "tc":
		if tb := st.table(); tb != nil {
			tb.cellOpen = false
		}
	case "tbl":
		if len(st.tables) == 0 {
			return
		}
		tb := st.tables[len(st.tables)-1]
		st.tables = st.tables[:len(st.tables)-1]
		st.emit(tb.render(&st.budget))
	}
}

// emit adds lines to the innermost open container: a paragraph (text box),
// a table cell, or the output.
func (st *docxState) emit(lines []string) {
	for _, l := range lines {
		st.budget -= len(l) + 1
	}
	if p := st.para(); p != nil && (len(st.tables) == 0 || !st.table().cellOpen) {
		for _, l := range lines {
			if l != "" {
				p.WriteString("\n" + l)
			}
		}
		return
	}
	if tb := st.table(); tb != nil && tb.cellOpen && len(tb.rows) > 0 && len(tb.rows[len(tb.rows)-1]) > 0 {
		row := tb.rows[len(tb.rows)-1]
		cell := &row[len(row)-1]
		for _, l := range lines {
			if strings.TrimSpace(l) != "" {
				*cell = append(*cell, l)
			}
		}
		return
	}
	st.out = append(st.out, lines...)
}

func (st *docxState) para() *strings.Builder {
	if len(st.paras) == 0 {
		return nil
	}
	return st.paras[len(st.paras)-1]
}

func (st *docxState) table() *docxTable {
	if len(st.tables) == 0 {
		return nil
	}
	return st.tables[len(st.tables)-1]
}

// render lays out the table one row per line, cells joined by " | "; a row
// whose cells hold several lines becomes as many lines, side by side. It
// stops once the lines pass the budget.
func (tb *docxTable) render(budget *int) []string {
	var out []string
	size := 0
	for _, row := range tb.rows {
		height := 0
		for _, cell := range row {
			height = max(height, len(cell))
		}
		for i := 0; i < height; i++ {
			parts := make([]string, len(row))
			for j, cell := range row {
				if i < len(cell) {
					parts[j] = strings.TrimSpace(strings.ReplaceAll(cell[i], "\t", " "))
				}
			}
			out = append(out, strings.TrimRight(strings.Join(parts, " | "), " |"))
			if size += len(out[len(out)-1]) + 1; size > *budget {
				*budget = -1
				return nil
			}
		}
	}
	return out
}
