package reader

import (
	"encoding/xml"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// unmarshalSheet is readSheet as it was before it streamed (xml.Unmarshal
// of the whole sheet into rows of cell maps): the reference that
// TestStreamSheetAsUnmarshal compares the streaming reader with.
func unmarshalSheet(data []byte, strs []string, styles []numKind, date1904 bool, limit int) (string, error) {
	type rich struct {
		T string `xml:"t"`
		R []struct {
			T string `xml:"t"`
		} `xml:"r"`
	}
	toRich := func(r rich) richText {
		rt := richText{T: r.T}
		for _, x := range r.R {
			rt.R = append(rt.R, x.T)
		}
		return rt
	}
	var doc struct {
		Rows []struct {
			R     int `xml:"r,attr"`
			Cells []struct {
				Ref string `xml:"r,attr"`
				S   int    `xml:"s,attr"`
				T   string `xml:"t,attr"`
				V   string `xml:"v"`
				IS  rich   `xml:"is"`
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
			v := cellValue(c.T, c.V, toRich(c.IS), c.S, strs, styles, date1904)
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

// TestStreamSheetAsUnmarshal: the streaming reader gives the text (or the
// kind of error) that unmarshalling the whole sheet gave, on the fuzz
// corpus, hand-written edge cases and random sheets.
func TestStreamSheetAsUnmarshal(t *testing.T) {
	t.Parallel()
	inputs := []string{
		`<worksheet><sheetData><row r="3"><c r="B3"><v>3</v></c></row><row r="1"><c r="A1"><v>1</v></c></row><row r="3"><c><v>3b</v></c></row><row><c><v>4</v></c></row></sheetData></worksheet>`,
		`<worksheet><sheetData><row><c r="C1"><v>c</v></c><c r="A1"><v>a</v></c><c r="A1"><v>a2</v></c><c r="A1"><v> </v></c></row></sheetData><sheetData><row><c><v>second</v></c></row></sheetData></worksheet>`,
		`<x:worksheet xmlns:x="x"><x:sheetData><x:row x:r="2"><x:c x:r="B2" x:t="inlineStr"><x:is><x:t>a<b>skipped</b>c</x:t><x:r><x:t>r1</x:t><x:t>r1b</x:t></x:r><x:rPh><x:t>ph</x:t></x:rPh></x:is><x:is><x:r><x:t>r2</x:t></x:r></x:is></x:c></x:row></x:sheetData></x:worksheet>`,
		`<worksheet><sheetData><row r="x"><c><v>1</v></c></row></sheetData></worksheet>`,
		`<worksheet><sheetData><row r=" 7 "><c s="abc"><v>1</v></c></row></sheetData></worksheet>`,
		`<worksheet><sheetData><row><c><v>1</v><v>2</v></c><c t="s"><v> 1 </v></c><c t="s"><v>9</v></c><c t="e"><v>#N/A</v></c><c t="b"><v>0</v></c></row></sheetData></worksheet>trailing <garbage`,
		`<worksheet><sheetData><row><c r="XFD1"><v>1</v></c><c><v>2</v></c><c><v>3</v></c></row></sheetData></worksheet>`,
		`<worksheet><sheetData><row><c><v>1</v></c></row></sheetData>`,
		`<?xml version="1.0" encoding="ISO-8859-1"?><worksheet/>`,
		`<!-- c --><worksheet><sheetData><row><c><v><![CDATA[a  b]]></v></c></row></sheetData></worksheet>`,
		``,
		`<worksheet><sheetData>` + strings.Repeat(`<row><c r="XFD1"><v>x</v></c></row>`, 200) + `</sheetData></worksheet>`,
	}
	for _, dir := range []string{"testdata/fuzz/FuzzReadSheet", "testdata/fuzz/FuzzReadZip"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			// go test fuzz v1: the first value is a []byte("...") literal.
			for _, line := range strings.Split(string(b), "\n") {
				if s, ok := strings.CutPrefix(line, "[]byte("); ok {
					var v string
					if _, err := fmt.Sscanf(strings.TrimSuffix(s, ")"), "%q", &v); err == nil {
						inputs = append(inputs, v)
					}
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	for range 3000 {
		var b strings.Builder
		b.WriteString(`<worksheet><sheetData>`)
		for range rng.IntN(8) {
			b.WriteString(pick(`<row>`, `<row r="5">`, `<row r="2">`, `<row r="1">`, `<row r="">`))
			for range rng.IntN(6) {
				b.WriteString(pick(`<c>`, `<c r="C9">`, `<c r="A1" t="s">`, `<c t="inlineStr">`, `<c s="1">`, `<c r="B2" s="4">`, `<c t="b">`, `<c r="XFD1">`))
				for range rng.IntN(3) {
					b.WriteString(pick(`<v>1</v>`, `<v>46083.5</v>`, `<v> a  b </v>`, `<is><t>x</t></is>`, `<is><r><t>y</t></r><t>z</t></is>`, `<f>SUM()</f>`, `<v>0</v>`, `<v></v>`))
				}
				b.WriteString(`</c>`)
			}
			b.WriteString(pick(`</row>`, `</row>`, `</row>`, `</row>`, `</row>`, `</row>`, `</row>`, `</row>`, `</row>`, `</c>`))
		}
		b.WriteString(`</sheetData></worksheet>`)
		inputs = append(inputs, b.String())
	}
	strs := []string{"Date", "Heures", ""}
	styles := []numKind{numPlain, numDate, numTime, numPercent, numDateTime}
	agree := 0
	for _, in := range inputs {
		for _, limit := range []int{1 << 20, 40} {
			want, werr := unmarshalSheet([]byte(in), strs, styles, false, limit)
			got, gerr := readSheet([]byte(in), strs, styles, false, limit)
			if (werr == nil) != (gerr == nil) || errors.Is(werr, errTextTooLarge) != errors.Is(gerr, errTextTooLarge) || got != want {
				t.Errorf("%q (limit %d):\nstreamed %q, %v\nunmarshal %q, %v", in, limit, got, gerr, want, werr)
			}
			if werr == nil {
				agree++
			}
		}
	}
	t.Logf("%d inputs, %d parsed without error", len(inputs), agree)
}
