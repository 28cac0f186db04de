package desk

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"testing"

	"github.com/docflow/docflow/pipeline"
)

func TestCorrectionsKeepOnlyChangedFields(t *testing.T) {
	t.Parallel()
	current := map[string]any{"contract_number": "CM-1", "hourly_rate": 9.5, "start_date": "2026-03-02", "reason": "seasonal", "worker_name": "Élodie"}
	for _, tc := range []struct {
		name string
		form url.Values
		want map[string]any
	}{
		{"nothing changed", url.Values{"f.contract_number": {" CM-1 "}, "f.hourly_rate": {"9.50"}, "f.start_date": {"2026-03-02"}, "f.reason": {"seasonal"}}, map[string]any{}},
		{"rate with a comma", url.Values{"f.hourly_rate": {"12,5"}}, map[string]any{"hourly_rate": 12.5}},
		{"within half a cent", url.Values{"f.hourly_rate": {"9.504"}}, map[string]any{}},
		{"date and reason", url.Values{"f.start_date": {"2026-03-09"}, "f.reason": {"replacement"}}, map[string]any{"start_date": "2026-03-09", "reason": "replacement"}},
		{"emptied field", url.Values{"f.worker_name": {""}}, map[string]any{"worker_name": nil}},
		{"new field", url.Values{"f.job_title": {"Cariste"}}, map[string]any{"job_title": "Cariste"}},
	} {
		got, err := corrections(pipeline.TypeContract, current, tc.form)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: corrections = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	for _, bad := range []url.Values{{"f.hourly_rate": {"douze"}}, {"f.start_date": {"02/03/2026"}}, {"f.reason": {"holiday"}}, {"f.hourly_rate": {"-3"}}} {
		if _, err := corrections(pipeline.TypeContract, current, bad); err == nil {
			t.Errorf("corrections accepted %v", bad)
		}
	}
}

func TestCorrectionsOfEntries(t *testing.T) {
	t.Parallel()
	current := map[string]any{"entries": []any{
		map[string]any{"date": "2026-03-02", "hours": 7.5}, map[string]any{"date": "2026-03-03", "hours": 7.5}}}
	same := url.Values{"entries": {"1"}, "entry_date": {"2026-03-03", "2026-03-02", ""}, "entry_hours": {"7.5", "7,50", ""}}
	if got, err := corrections(pipeline.TypeTimesheet, current, same); err != nil || len(got) != 0 {
		t.Errorf("the same days in another order: %v, %v", got, err)
	}
	changed := url.Values{"entries": {"1"}, "entry_date": {"2026-03-02"}, "entry_hours": {"8"}}
	got, err := corrections(pipeline.TypeTimesheet, current, changed)
	want := map[string]any{"entries": []any{map[string]any{"date": "2026-03-02", "hours": 8.0}}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("a removed day and changed hours: %v, %v", got, err)
	}
	if _, err := corrections(pipeline.TypeTimesheet, current, url.Values{"entries": {"1"}, "entry_date": {"2026-03-02"}, "entry_hours": {""}}); err == nil {
		t.Error("a day without hours was accepted")
	}
	if got, _ := corrections(pipeline.TypeTimesheet, current, url.Values{}); len(got) != 0 {
		t.Errorf("a form without the grid changed entries: %v", got)
	}
}

const bboxPage = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head><title></title></head><body><doc>
<page width="600.000000" height="800.000000"><flow><block xMin="40" yMin="100" xMax="300" yMax="130">
<line xMin="40" yMin="100" xMax="300" yMax="112">
<word xMin="40.0" yMin="100.0" xMax="70.0" yMax="112.0">Taux</word>
<word xMin="72.0" yMin="100.0" xMax="110.0" yMax="112.0">horaire</word>
<word xMin="112.0" yMin="100.0" xMax="130.0" yMax="112.0">:</word>
<word xMin="132.0" yMin="100.0" xMax="160.0" yMax="112.0">9,50</word>
<word xMin="162.0" yMin="100.0" xMax="170.0" yMax="112.0">€</word>
</line>
<line xMin="40" yMin="118" xMax="300" yMax="130">
<word xMin="40.0" yMin="118.0" xMax="90.0" yMax="130.0">Boulangeries</word>
<word xMin="92.0" yMin="118.0" xMax="130.0" yMax="130.0">Martin&amp;Co</word>
</line></block></flow></page></doc></body></html>`

func TestLocateSourceWords(t *testing.T) {
	t.Parallel()
	p, err := parseBBox([]byte(bboxPage))
	if err != nil || p.Width != 600 || len(p.Lines) != 2 || len(p.Lines[0]) != 5 {
		t.Fatalf("parseBBox = %+v, %v", p, err)
	}
	b, ok := p.locate("hourly_rate", "9,50 €")
	if !ok {
		t.Fatal("the rate's words were not found")
	}
	// Words 9,50 and € span x 132..170, y 100..112, with 2 points of padding.
	want := box{Field: "hourly_rate", Left: 100 * 130.0 / 600, Top: 100 * 98.0 / 800, Width: 100 * 42.0 / 600, Height: 100 * 16.0 / 800}
	if !near(b, want) {
		t.Errorf("box = %+v, want %+v", b, want)
	}
	if _, ok := p.locate("client_name", "BOULANGERIES  Martin&Co"); !ok {
		t.Error("a source in other case and spacing was not found")
	}
	if _, ok := p.locate("x", "9,50 € Boulangeries"); !ok {
		t.Error("a source over two lines was not found")
	}
	if _, ok := p.locate("x", "13,45"); ok {
		t.Error("absent text was found")
	}
}

func near(a, b box) bool {
	d := func(x, y float64) bool { return x-y < 0.01 && y-x < 0.01 }
	return a.Field == b.Field && d(a.Left, b.Left) && d(a.Top, b.Top) && d(a.Width, b.Width) && d(a.Height, b.Height)
}

func TestNumberLinesAsTheExtractorDoes(t *testing.T) {
	t.Parallel()
	fields := []fieldView{{Name: "total_hours", Source: pipeline.Source{Line: 4, Text: "37,5"}}}
	lines := numberLines("a\r\nb\fc\n\fd\ne", fields, nil)
	var got []string
	for _, l := range lines {
		got = append(got, l.Text+"@"+string(rune('0'+l.N))+":"+l.Fields)
	}
	want := []string{"a@1:", "b@2:", "c@3:", "d@4:total_hours", "e@5:"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lines = %v, want %v", got, want)
	}
}

func TestLangFromRequest(t *testing.T) {
	t.Parallel()
	if French.T("action.approve") != "Approuver" || English.T("action.approve") != "Approve" {
		t.Error("messages")
	}
	for _, key := range []string{"queue.title", "task.history", "upload.title", "what.review"} {
		if French.T(key) == key || English.T(key) == key {
			t.Errorf("%s has no message", key)
		}
	}
	for _, code := range ruleCodes {
		if French.Code(code) == code || English.Code(code) == code {
			t.Errorf("rule code %s has no label", code)
		}
	}
}

func TestRequestLang(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		accept, cookie string
		want           Lang
	}{
		{"fr-FR,fr;q=0.9,en;q=0.8", "", French},
		{"de-DE,en-GB;q=0.8", "", English},
		{"", "", English},
		{"fr-FR", "en", English},
		{"en-US", "fr", French},
	} {
		r := httptest.NewRequest(http.MethodGet, "/desk/", nil)
		r.Header.Set("Accept-Language", tc.accept)
		if tc.cookie != "" {
			r.AddCookie(&http.Cookie{Name: langCookie, Value: tc.cookie})
		}
		if got := requestLang(r); got != tc.want {
			t.Errorf("Accept-Language %q, cookie %q: %s, want %s", tc.accept, tc.cookie, got, tc.want)
		}
	}
}
