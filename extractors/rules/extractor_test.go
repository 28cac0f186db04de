package rules

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
)

// extract runs the extractor on a testdata file.
func extract(t *testing.T, typ pipeline.DocumentType, file string) pipeline.Fields {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	f, err := New().Extract(context.Background(), typ, pipeline.Content{Text: string(b), Confidence: 1})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// check compares the extracted fields with the wanted ones, as JSON values.
func check(t *testing.T, f pipeline.Fields, want map[string]any) {
	t.Helper()
	got := f.Map()
	for k, w := range want {
		wb, _ := json.Marshal(w)
		gb, _ := json.Marshal(got[k])
		if string(wb) != string(gb) {
			t.Errorf("%s = %s, want %s", k, gb, wb)
		}
		if _, ok := f.Confidence[k]; !ok {
			t.Errorf("%s has no confidence", k)
		}
	}
}

// TestContracts reads the contracts of testdata.
func TestContracts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want map[string]any
	}{
		{"contract_form_fr.txt", map[string]any{
			"contract_number": "EX-2026-000123", "agency_name": "Agence Exemple Intérim",
			"agency_siret": "12345678900012", "client_name": "Fromagerie du Test SARL",
			"client_siret": "98765432100098", "worker_name": "Zoé Durand-Petit", "job_title": "Fromager",
			"start_date": "2026-03-01", "end_date": "2026-04-30", "hourly_rate": 13.45,
			"weekly_hours": 35, "work_location": "Dijon", "reason": "replacement",
		}},
		{"contract_prose_fr.txt", map[string]any{
			"contract_number": "2026/TT/00042", "agency_name": "Travail Test Services",
			"agency_siret": "11122233300044", "client_name": "Conserverie Essai SAS",
			"client_siret": "55566677700088", "worker_name": "Jean-Paul Martin", "job_title": "Conditionneur",
			"start_date": "2026-06-02", "end_date": "2026-08-31", "hourly_rate": 12.5,
			"weekly_hours": 37.5, "work_location": "Concarneau", "reason": "seasonal",
		}},
		{"contract_en.txt", map[string]any{
			"contract_number": "TA-2026-777", "agency_name": "Sample Staffing France",
			"agency_siret": "44455566600077", "client_name": "Widget Works SAS",
			"client_siret": "99988877700066", "worker_name": "Ana Lopez", "job_title": "Forklift driver",
			"start_date": "2026-03-02", "end_date": "2026-04-30", "hourly_rate": 13.45,
			"weekly_hours": 35, "work_location": "Vénissieux", "reason": "temporary_increase",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			check(t, extract(t, pipeline.TypeContract, tt.file), tt.want)
		})
	}
}

// TestTimesheets reads the timesheets of testdata.
func TestTimesheets(t *testing.T) {
	t.Parallel()
	e := func(d string, h float64) map[string]any { return map[string]any{"date": d, "hours": h} }
	tests := []struct {
		file string
		want map[string]any
	}{
		{"timesheet_table_fr.txt", map[string]any{
			"contract_number": "EX-2026-000123", "worker_name": "Zoé Durand-Petit",
			"client_name": "Fromagerie du Test SARL", "period_start": "2026-03-02", "period_end": "2026-03-08",
			"entries":     []any{e("2026-03-02", 7.5), e("2026-03-03", 7.25), e("2026-03-05", 7.5)},
			"total_hours": 22.5,
		}},
		{"timesheet_prose_fr.txt", map[string]any{
			"contract_number": "GA 2026 0042", "worker_name": "Karim Benali", "client_name": "Garage Essai SARL",
			"period_start": "2026-03-09", "period_end": "2026-03-15",
			"entries":     []any{e("2026-03-09", 7.5), e("2026-03-10", 8)},
			"total_hours": 16,
		}},
		{"timesheet_body_en.txt", map[string]any{
			"contract_number": "SS-2026-0099", "worker_name": "Lena Schmidt", "client_name": "Harbour Logistics Ltd",
			"period_start": "2026-06-29", "period_end": "2026-07-05",
			"entries":     []any{e("2026-06-29", 7.5), e("2026-06-30", 7)},
			"total_hours": 15,
		}},
		{"timesheet_clock.csv.txt", map[string]any{
			"contract_number": "BE-26-001", "worker_name": "Inès Leroy", "client_name": "Boulangerie Essai",
			"period_start": "2026-03-02", "period_end": "2026-03-03",
			"entries":     []any{e("2026-03-02", 7), e("2026-03-03", 5.5)},
			"total_hours": 13,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			check(t, extract(t, pipeline.TypeTimesheet, tt.file), tt.want)
		})
	}
}

// TestHelpers checks the value parsers.
func TestHelpers(t *testing.T) {
	t.Parallel()
	t.Run("dates", func(t *testing.T) {
		t.Parallel()
		for in, want := range map[string]string{
			"02/03/2026": "2026-03-02", "2 mars 2026": "2026-03-02", "1er mars 2026": "2026-03-01",
			"March 2, 2026": "2026-03-02", "2026-03-02": "2026-03-02", "2 March 2026": "2026-03-02",
		} {
			d, ok := parseDate(in, 0)
			if !ok || d.String() != want {
				t.Errorf("parseDate(%q) = %v, %v; want %s", in, d, ok, want)
			}
		}
	})
	t.Run("hours", func(t *testing.T) {
		t.Parallel()
		for in, want := range map[string]float64{"7h30": 7.5, "7 h 30": 7.5, "7:30": 7.5, "7,50": 7.5, "7.5": 7.5, "8h": 8} {
			if h, ok := parseHours(in); !ok || h != want {
				t.Errorf("parseHours(%q) = %v, %v; want %v", in, h, ok, want)
			}
		}
	})
	t.Run("names", func(t *testing.T) {
		t.Parallel()
		for in, want := range map[string]string{
			"DE LA FONTAINE Inès": "Inès de La Fontaine", "Mme Aurélie CHEVALIER": "Aurélie Chevalier",
			"Chloé Delacroix-Vidal": "Chloé Delacroix-Vidal", "N'DIAYE Fatoumata": "Fatoumata N'Diaye",
		} {
			if got := personName(in); fold(got) != fold(want) {
				t.Errorf("personName(%q) = %q, want %q", in, got, want)
			}
		}
	})
	t.Run("cities", func(t *testing.T) {
		t.Parallel()
		for in, want := range map[string]string{
			"Parc d'activités, 148 route de Paris, 69100 Villeurbanne": "Villeurbanne",
			"Colomiers": "Colomiers", "ZI Nord, Rezé": "Rezé", "12 rue X, 13002 Marseille Cedex 02": "Marseille",
		} {
			if got := cityOf(in); got != want {
				t.Errorf("cityOf(%q) = %q, want %q", in, got, want)
			}
		}
	})
}

// TestSectionedForm reads a form whose worker is named under a section
// heading with a generic "Nom et prénom" label, as testdocs writes them.
func TestSectionedForm(t *testing.T) {
	t.Parallel()
	c := testdocs.ValidContract("CM-2026-004512")
	f, err := New().Extract(context.Background(), pipeline.TypeContract, pipeline.Content{Text: testdocs.Contract(c), Confidence: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := pipeline.Fields{Contract: &c}
	check(t, f, want.Map())
}
