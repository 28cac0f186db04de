package desk

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// pageWords is one page of pdftotext -bbox-layout: its size in points and
// its lines of words with their boxes.
type pageWords struct {
	Width, Height float64
	Lines         [][]word
}

type word struct {
	Text                   string
	XMin, YMin, XMax, YMax float64
}

// box is a highlight over a page image, in percent of the page.
type box struct {
	Field                    string
	Left, Top, Width, Height float64
}

// parseBBox reads pdftotext's XHTML: <page width height>, <line>, <word
// xMin yMin xMax yMax>text</word>.
func parseBBox(b []byte) (pageWords, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = false
	var p pageWords
	var cur *word
	for {
		tok, err := dec.Token()
		if err != nil {
			if p.Width > 0 {
				return p, nil
			}
			return p, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			attr := func(name string) float64 {
				for _, a := range t.Attr {
					if a.Name.Local == name {
						f, _ := strconv.ParseFloat(a.Value, 64)
						return f
					}
				}
				return 0
			}
			switch t.Name.Local {
			case "page":
				if p.Width > 0 {
					return p, nil // one page only
				}
				p.Width, p.Height = attr("width"), attr("height")
			case "line":
				p.Lines = append(p.Lines, nil)
			case "word":
				cur = &word{XMin: attr("xMin"), YMin: attr("yMin"), XMax: attr("xMax"), YMax: attr("yMax")}
			}
		case xml.CharData:
			if cur != nil {
				cur.Text += string(t)
			}
		case xml.EndElement:
			if t.Name.Local == "word" && cur != nil && len(p.Lines) > 0 {
				cur.Text = strings.TrimSpace(cur.Text)
				p.Lines[len(p.Lines)-1] = append(p.Lines[len(p.Lines)-1], *cur)
				cur = nil
			}
		}
	}
}

// fold makes text comparable: NFC, lower case, accents kept, white space
// dropped (layouts space words differently from the read text).
func fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFC.String(s) {
		if unicode.IsSpace(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// locate finds the source text among the page's words and returns the box
// around the words that hold it, in percent of the page. It looks within
// one line, then across two consecutive lines.
func (p pageWords) locate(field, text string) (box, bool) {
	want := fold(text)
	if want == "" || p.Width <= 0 || p.Height <= 0 {
		return box{}, false
	}
	for span := 1; span <= 2; span++ {
		for i := 0; i+span <= len(p.Lines); i++ {
			var words []word
			for _, l := range p.Lines[i : i+span] {
				words = append(words, l...)
			}
			if b, ok := p.match(field, words, want); ok {
				return b, true
			}
		}
	}
	return box{}, false
}

// match finds want in the folded concatenation of words and boxes the
// words it overlaps.
func (p pageWords) match(field string, words []word, want string) (box, bool) {
	var joined strings.Builder
	starts := make([]int, len(words))
	for i, w := range words {
		starts[i] = joined.Len()
		joined.WriteString(fold(w.Text))
	}
	at := strings.Index(joined.String(), want)
	if at < 0 {
		return box{}, false
	}
	end := at + len(want)
	first := true
	var x0, y0, x1, y1 float64
	for i, w := range words {
		wEnd := joined.Len()
		if i+1 < len(words) {
			wEnd = starts[i+1]
		}
		if wEnd <= at || starts[i] >= end {
			continue
		}
		if first {
			x0, y0, x1, y1, first = w.XMin, w.YMin, w.XMax, w.YMax, false
			continue
		}
		x0, y0, x1, y1 = min(x0, w.XMin), min(y0, w.YMin), max(x1, w.XMax), max(y1, w.YMax)
	}
	const pad = 2.0 // points around the words
	x0, y0, x1, y1 = x0-pad, y0-pad, x1+pad, y1+pad
	return box{Field: field, Left: 100 * x0 / p.Width, Top: 100 * y0 / p.Height,
		Width: 100 * (x1 - x0) / p.Width, Height: 100 * (y1 - y0) / p.Height}, true
}
