package reader

import (
	"bytes"
	"encoding/xml"
	"io"
	"sort"
	"strings"

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
	lines, err := docxLines(body)
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
		l, err := docxLines(b)
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
}

// docxLines reads a WordprocessingML part into lines of text.
func docxLines(data []byte) ([]string, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	st := &docxState{}
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
			tb.rows[len(tb.rows)-1] = append(tb.rows[len(tb.rows)-1], nil)
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
		st.emit(tb.render())
	}
}

// emit adds lines to the innermost open container: a paragraph (text box),
// a table cell, or the output.
func (st *docxState) emit(lines []string) {
	if p := st.para(); p != nil && (len(st.tables) == 0 || !st.table().cellOpen) {
		for _, l := range lines {
			if l != "" {
				p.WriteString("\n" + l)
			}
		}
		return
	}
	if tb := st.table(); tb != nil && tb.cellOpen && len(tb.rows) > 0 {
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
// whose cells hold several lines becomes as many lines, side by side.
func (tb *docxTable) render() []string {
	var out []string
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
		}
	}
	return out
}
