package rules

import (
	"testing"

	"github.com/docflow/docflow/pipeline"
)

// TestUnseenLayouts reads synthetic documents whose labels, layouts and
// formats of dates and hours differ from the development corpus.
func TestUnseenLayouts(t *testing.T) {
	t.Parallel()
	e := func(d string, h float64) map[string]any { return map[string]any{"date": d, "hours": h} }
	tests := []struct {
		file string
		typ  pipeline.DocumentType
		want map[string]any
	}{
		{"contract_synonyms_fr.txt", pipeline.TypeContract, map[string]any{
			"contract_number": "MT-77/2026-0815", "agency_name": "Orbis Intérim Normandie",
			"agency_siret": "41298734500021", "client_name": "Cidrerie Lecoq & Fils SARL",
			"client_siret": "50239871600047", "worker_name": "Gwenaëlle Le Bihan", "job_title": "Opératrice de ligne",
			"start_date": "2026-03-01", "end_date": "2026-05-15", "hourly_rate": 12.85,
			"weekly_hours": 35, "work_location": "Caen", "reason": "replacement",
		}},
		{"contract_table_fr.txt", pipeline.TypeContract, map[string]any{
			"contract_number": "RC 2026 4471", "agency_name": "Cap Emploi Temporaire Alpes",
			"agency_siret": "78945612300034", "client_name": "Fromagerie des Aravis SAS",
			"client_siret": "32165498700015", "worker_name": "Maëlys Brunel", "job_title": "Affineuse",
			"start_date": "2026-03-02", "end_date": "2026-05-29", "hourly_rate": 14.1,
			"weekly_hours": 39, "work_location": "La Clusaz", "reason": "seasonal",
		}},
		{"contract_variants_en.txt", pipeline.TypeContract, map[string]any{
			"contract_number": "NW-2026/3310", "agency_name": "Northwind Staffing SAS",
			"agency_siret": "60312345600019", "client_name": "Bluefield Packaging SARL",
			"client_siret": "71854329900026", "worker_name": "Tomasz Kowalczyk", "job_title": "Packing operator",
			"start_date": "2026-03-02", "end_date": "2026-03-27", "hourly_rate": 13.75,
			"weekly_hours": 37.5, "work_location": "Marseille", "reason": "replacement",
		}},
		{"contract_us_dates_en.txt", pipeline.TypeContract, map[string]any{
			"contract_number": "US-2026-0042", "agency_name": "Harborline Staffing SAS",
			"agency_siret": "44433322200011", "client_name": "Redwood Freight SAS",
			"client_siret": "55544433300022", "worker_name": "Dana Whitfield", "job_title": "Warehouse clerk",
			"start_date": "2026-03-02", "end_date": "2026-04-17", "hourly_rate": 14.2,
			"weekly_hours": 35, "work_location": "Le Mans", "reason": "temporary_increase",
		}},
		{"timesheet_weekdays_fr.txt", pipeline.TypeTimesheet, map[string]any{
			"contract_number": "MT-77/2026-0815", "worker_name": "Gwenaëlle Le Bihan",
			"client_name": "Cidrerie Lecoq & Fils SARL", "period_start": "2026-03-02", "period_end": "2026-03-08",
			"entries":     []any{e("2026-03-02", 7.5), e("2026-03-03", 7), e("2026-03-05", 8), e("2026-03-06", 4)},
			"total_hours": 26.5,
		}},
		{"timesheet_variants_en.txt", pipeline.TypeTimesheet, map[string]any{
			"contract_number": "NW-2026/3310", "worker_name": "Tomasz Kowalczyk",
			"client_name": "Bluefield Packaging SARL", "period_start": "2026-03-02", "period_end": "2026-03-08",
			"entries":     []any{e("2026-03-02", 7), e("2026-03-03", 7.5), e("2026-03-04", 8), e("2026-03-06", 6.25)},
			"total_hours": 28.75,
		}},
		{"timesheet_units_fr.txt", pipeline.TypeTimesheet, map[string]any{
			"contract_number": "CT-2026-5521", "worker_name": "Lucas Ferrand",
			"client_name": "Atelier Mécanique Duroc", "period_start": "2026-03-01", "period_end": "2026-03-31",
			"entries": []any{e("2026-03-02", 7), e("2026-03-03", 7.5), e("2026-03-04", 7.5),
				e("2026-03-05", 7.75), e("2026-03-06", 7.5), e("2026-03-09", 8)},
			"total_hours": 45.25,
		}},
		{"timesheet_grid_fr.txt", pipeline.TypeTimesheet, map[string]any{
			"contract_number": "GR-2026-0099", "worker_name": "Sofiane Haddad",
			"client_name": "Serres du Val de Loire", "period_start": "2026-03-01", "period_end": "2026-03-31",
			"entries": []any{e("2026-03-02", 7), e("2026-03-03", 7.5), e("2026-03-04", 7), e("2026-03-05", 8),
				e("2026-03-06", 6), e("2026-03-09", 7), e("2026-03-10", 7.5)},
			"total_hours": 50,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			check(t, extract(t, tt.typ, tt.file), tt.want)
		})
	}
}
