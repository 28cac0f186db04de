package rules

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/docflow/docflow/pipeline"
)

// validDate reports whether d is a real calendar day in the years a
// document may print.
func validDate(d pipeline.Date) bool {
	y, m, day := d.Date()
	return y >= 1900 && y <= 2200 && m >= 1 && m <= 12 && day >= 1 && day <= 31 &&
		pipeline.NewDate(y, m, day).Equal(d.Time) && d.String() == d.Format("2006-01-02")
}

// FuzzParseDate checks that every date found is a real calendar day.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{
		"02/03/2026", "2 mars 2026", "1er mars 2026", "March 2, 2026", "2026-03-02", "02.03.2026",
		"2 Mar 2026", "31/02/2026", "lundi 2/3", "29 février 2028", "12/31/2026", "99/99/9999", "1/2", "0/0/0",
		"2026-13-45", "le 3 août", "Sept. 30th, 2026",
	} {
		f.Add(s, 2026)
	}
	f.Fuzz(func(t *testing.T, s string, year int) {
		if d, ok := parseDate(s, year); ok && !validDate(d) {
			t.Fatalf("parseDate(%q, %d) = %v: not a valid date", s, year, d)
		}
		fs := fold(s)
		for _, m := range findDates(fs, year) {
			if !validDate(m.date) || m.start < 0 || m.end > len(fs) || m.start >= m.end {
				t.Fatalf("findDates(%q) = %+v", s, m)
			}
		}
		d := newDoc(s)
		for _, m := range findDates(d.dates(s), 0) {
			if !validDate(m.date) {
				t.Fatalf("findDates(dates(%q)) = %v", s, m.date)
			}
		}
	})
}

// FuzzParseMoney checks that hourly rates, repaired or not, stay plausible.
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"13,45 €", "€13.45", "13.45 EUR", "12584", "1258 €", "12,584", "0", "99999", "13", "1e9", "12 ,5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, repaired, ok := parseRate(s)
		if !ok {
			return
		}
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			t.Fatalf("parseRate(%q) = %v", s, v)
		case !repaired && (v < minRate || v > maxRate):
			t.Fatalf("parseRate(%q) = %v: outside %v..%v", s, v, minRate, maxRate)
		case repaired && (v < 9 || v >= 100):
			t.Fatalf("parseRate(%q) = %v repaired: outside 9..100", s, v)
		}
		if w, _, ok := parseWeekly(s); ok && (w <= 0 || w > 80) {
			t.Fatalf("parseWeekly(%q) = %v", s, w)
		}
	})
}

// FuzzParseHours checks amounts of hours and that a day holds 0..24 hours.
func FuzzParseHours(f *testing.F) {
	for _, s := range []string{
		"7h30", "7 h 30", "7:30", "7,50", "7.5", "8h", "35 heures", "7h75", "24:00", "99:99", "08:00-12:00 13:00-16:30",
		"Lun 02/03  08:00-12:00 13:00-16:30", "23:00-06:00", "Total semaine : 37h30",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if h, ok := parseHours(s); ok && (h < 0 || math.IsNaN(h) || math.IsInf(h, 0)) {
			t.Fatalf("parseHours(%q) = %v", s, h)
		}
		fs := fold(s)
		toks := findHours(fs)
		if h, ok := clockRanges(fs, toks); ok && (h <= 0 || math.IsNaN(h)) {
			t.Fatalf("clockRanges(%q) = %v", s, h)
		}
		// A timesheet's days hold 0..24 hours and real dates.
		ts, _, _ := timesheet(newDoc("Relevé d'heures 2026\nDate  Heures\n" + s + "\n" + s))
		for _, e := range ts.Entries {
			if e.Hours <= 0 || e.Hours > 24 || !validDate(e.Date) {
				t.Fatalf("entry %+v from %q", e, s)
			}
		}
	})
}

// FuzzSIRET checks that SIRET numbers hold digits only, 13 to 15 of them.
func FuzzSIRET(f *testing.F) {
	for _, s := range []string{"SIRET : 732 829 320 00074", "Siret 73282932000074", "SIRET 732.829.320.00074", "siren 1", "SIRET: 12 34\n56 78 90 12 34"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		digitsOnly := func(v string) bool {
			return strings.Trim(v, "0123456789") == ""
		}
		if v := siretDigits(s); !digitsOnly(v) {
			t.Fatalf("siretDigits(%q) = %q", s, v)
		}
		c, _, _ := contract(newDoc("Entreprise utilisatrice : X\n" + s + "\nAgence : Y\n" + s))
		for _, v := range []string{c.AgencySIRET, c.ClientSIRET} {
			if !digitsOnly(v) || v != "" && (len(v) < 13 || len(v) > 15) {
				t.Fatalf("SIRET %q from %q", v, s)
			}
		}
	})
}

// FuzzPersonName checks that names stay valid, trimmed text and that
// sources stay within their limits.
func FuzzPersonName(f *testing.F) {
	for _, s := range []string{"DE LA FONTAINE Inès", "Mme Aurélie CHEVALIER", "N'DIAYE Fatoumata", "M. M. M.", "ÉLODIE", "  ", "Mr", "O'NEIL-SMITH Ana María"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		v := personName(s)
		if !utf8.ValidString(v) || v != strings.TrimSpace(v) || strings.Contains(v, "  ") {
			t.Fatalf("personName(%q) = %q", s, v)
		}
		if fold(v) == "" && strings.TrimSpace(s) != "" && countAlnum(s) > 0 && plausiblePerson(v) {
			t.Fatalf("personName(%q) lost the name", s)
		}
		// The whole extractor never panics and its sources stay in the text.
		fs, err := New().Extract(context.Background(), pipeline.TypeContract, pipeline.Content{Text: "Intérimaire : " + s})
		if err != nil {
			t.Fatal(err)
		}
		for k, src := range fs.Sources {
			if src.Line < 1 || src.Page < 1 || len([]rune(src.Text)) > maxSourceText {
				t.Fatalf("%s: source %+v", k, src)
			}
		}
	})
}

// FuzzCompanyCity checks the cleaning of company names and cities: valid,
// trimmed text without doubled spaces, never longer than what it came from.
func FuzzCompanyCity(f *testing.F) {
	for _, s := range []string{
		"La société Boulangeries Martin SAS, 12 rue des Lilas", "Harbour Logistics SAS – Le Havre", "the company ACME (France)",
		"12 rue de la Paix, 75002 Paris Cedex 02", "ZI des Bruyères, F-69100 Villeurbanne", "Quai 4, Le Havre", "69003", "  ",
		"Boulangeries  Martin", "Société", "1 avenue X, 2 route Y",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		for name, v := range map[string]string{"companyName": companyName(s), "cityOf": cityOf(s)} {
			if !utf8.ValidString(v) || v != strings.TrimSpace(v) || strings.Contains(v, "  ") || len(v) > len(s) {
				t.Fatalf("%s(%q) = %q", name, s, v)
			}
		}
	})
}

// FuzzParseDecimal checks that a number found is finite, not negative and
// printed in s.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"13,45", "13.45 €", "35", "Taux : 1e9", "007", "99999999999999999999999999", "1,2,3", "", ".5", "١٢"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := parseDecimal(s)
		if !ok {
			return
		}
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("parseDecimal(%q) = %v", s, v)
		}
		if !strings.ContainsAny(s, "0123456789") {
			t.Fatalf("parseDecimal(%q) = %v without a digit", s, v)
		}
	})
}

// FuzzExtract runs the whole rules extractor on any text, as a reader or
// OCR would give it, and checks what it returns: fields that fit the
// spec's schema (they decode again), real dates, plausible amounts,
// confidences 0..1 and sources within their limits.
func FuzzExtract(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no texts in testdata: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b), strings.Contains(name, "timesheet"), 1.0)
	}
	f.Add("CONTRAT DE MISSION N° CM-2O26-0101\nInterimaire : LEFEVRE E1odie\nTaux horaire : 13,4S €\nDu 02/03/2026 au 3O/04/2026", false, 0.62)
	f.Add("RELEVE D'HEURES  Semaine du 02/03/2026\nLun 02/03  08:00-12:00 13:00-16:30\nMar 03/03  7h30\nTotal : 11h", true, 0.7)
	f.Fuzz(func(t *testing.T, text string, isTimesheet bool, conf float64) {
		typ := pipeline.TypeContract
		if isTimesheet {
			typ = pipeline.TypeTimesheet
		}
		fs, err := New().Extract(context.Background(), typ, pipeline.Content{Text: text, Confidence: conf})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pipeline.FieldsFromMap(typ, fs.Map()); err != nil {
			t.Fatalf("fields do not fit the schema: %v", err)
		}
		for k, c := range fs.Confidence {
			if !(c >= 0 && c <= 1) {
				t.Fatalf("confidence of %s = %v", k, c)
			}
		}
		for k, src := range fs.Sources {
			if src.Line < 1 || src.Page < 1 || len([]rune(src.Text)) > maxSourceText {
				t.Fatalf("%s: source %+v", k, src)
			}
		}
		if utf8.ValidString(text) {
			for k, v := range fs.Map() {
				if s, ok := v.(string); ok && (!utf8.ValidString(s) || s != strings.TrimSpace(s)) {
					t.Fatalf("%s = %q", k, s)
				}
			}
		}
		checkDates := func(ds ...*pipeline.Date) {
			for _, d := range ds {
				if d != nil && !validDate(*d) {
					t.Fatalf("date %v from %q", d, text)
				}
			}
		}
		if c := fs.Contract; c != nil {
			checkDates(c.StartDate, c.EndDate)
			if r := c.HourlyRate; r != nil && !(*r > 0 && *r < 1000) {
				t.Fatalf("hourly rate %v", *r)
			}
			if w := c.WeeklyHours; w != nil && !(*w > 0 && *w <= 80) {
				t.Fatalf("weekly hours %v", *w)
			}
		}
		if ts := fs.Timesheet; ts != nil {
			checkDates(ts.PeriodStart, ts.PeriodEnd)
			for _, e := range ts.Entries {
				if e.Hours <= 0 || e.Hours > 24 || !validDate(e.Date) {
					t.Fatalf("entry %+v", e)
				}
			}
			if h := ts.TotalHours; h != nil && !(*h >= 0 && !math.IsInf(*h, 0)) {
				t.Fatalf("total hours %v", *h)
			}
		}
	})
}
