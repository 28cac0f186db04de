package rules

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docflow/docflow/pipeline"
)

// textLines splits a text as Source numbers its lines: at "\n", and at a
// form feed that does not follow a line end; it returns each line's page.
func textLines(text string) (lines []string, pages []int) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	page, cur := 1, []byte{}
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '\n':
			lines, pages, cur = append(lines, string(cur)), append(pages, page), nil
		case '\f':
			if i > 0 && text[i-1] != '\n' && text[i-1] != '\f' {
				lines, pages, cur = append(lines, string(cur)), append(pages, page), nil
			}
			page++
		default:
			cur = append(cur, text[i])
		}
	}
	return append(lines, string(cur)), append(pages, page)
}

// checkSources checks that every extracted field has a source whose page
// and line hold the start of its text.
func checkSources(t *testing.T, text string, f pipeline.Fields) {
	t.Helper()
	lines, pages := textLines(text)
	for k := range f.Map() {
		s, ok := f.Sources[k]
		if !ok {
			t.Errorf("%s has no source", k)
			continue
		}
		if s.Line < 1 || s.Line > len(lines) {
			t.Errorf("%s: line %d out of 1..%d", k, s.Line, len(lines))
			continue
		}
		if s.Page != pages[s.Line-1] {
			t.Errorf("%s: page %d, want %d", k, s.Page, pages[s.Line-1])
		}
		if s.Text == "" || len([]rune(s.Text)) > maxSourceText {
			t.Errorf("%s: source text %q", k, s.Text)
		}
		// A value that wraps starts on its line.
		head := strings.Fields(s.Text)[0]
		if !strings.Contains(lines[s.Line-1], head) {
			t.Errorf("%s: %q is not on line %d %q", k, s.Text, s.Line, lines[s.Line-1])
		}
	}
}

// TestSources checks the source of every field of the testdata documents.
func TestSources(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatal("no testdata", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			typ := pipeline.TypeContract
			if strings.HasPrefix(filepath.Base(file), "timesheet") {
				typ = pipeline.TypeTimesheet
			}
			f, err := New().Extract(context.Background(), typ, pipeline.Content{Text: string(b), Confidence: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Map()) == 0 {
				t.Fatal("nothing extracted")
			}
			checkSources(t, string(b), f)
		})
	}
}

// TestSourcePages checks pages and whole-text line numbers across form
// feeds, both at a line start (pdftotext) and inside a line.
func TestSourcePages(t *testing.T) {
	t.Parallel()
	text := "CONTRAT DE MISSION\nN° contrat : CM-2026-1\n\fConditions\nTaux horaire brut : 13,45 €\n" +
		"Page 2 fin\fDurée hebdomadaire : 35 heures\nDate de début : 02/03/2026\r\nDate de fin : 30/04/2026"
	f, err := New().Extract(context.Background(), pipeline.TypeContract, pipeline.Content{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]pipeline.Source{
		"contract_number": {Page: 1, Line: 2, Text: "CM-2026-1"},
		"hourly_rate":     {Page: 2, Line: 4, Text: "13,45 €"},
		"weekly_hours":    {Page: 3, Line: 6, Text: "35 heures"},
		"start_date":      {Page: 3, Line: 7, Text: "02/03/2026"},
		"end_date":        {Page: 3, Line: 8, Text: "30/04/2026"},
	}
	for k, w := range want {
		if got := f.Sources[k]; got != w {
			t.Errorf("%s: source %+v, want %+v", k, got, w)
		}
	}
	checkSources(t, text, f)

	ts := "Relevé d'heures\nContrat : CM-2026-1\nDate        Heures\n02/03/2026  7h30\n03/03/2026  7h00\nTotal : 14h30"
	f, err = New().Extract(context.Background(), pipeline.TypeTimesheet, pipeline.Content{Text: ts})
	if err != nil {
		t.Fatal(err)
	}
	if s := f.Sources["entries"]; s.Line != 3 || s.Page != 1 {
		t.Errorf("entries: source %+v, want the header on line 3", s)
	}
	if s := f.Sources["total_hours"]; s.Line != 6 || s.Text != "Total : 14h30" {
		t.Errorf("total_hours: source %+v, want line 6", s)
	}
	checkSources(t, ts, f)
}
