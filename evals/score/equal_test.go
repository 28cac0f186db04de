package score

import (
	"encoding/json"
	"testing"
)

func TestEqual(t *testing.T) {
	t.Parallel()
	entries := func(pairs ...any) []any {
		var out []any
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, map[string]any{"date": pairs[i], "hours": pairs[i+1]})
		}
		return out
	}
	tests := []struct {
		name      string
		field     string
		want, got any
		equal     bool
	}{
		{"string same", "job_title", "Cariste", "Cariste", true},
		{"string case", "client_name", "Boulangeries Martin SAS", "BOULANGERIES martin sas", true},
		{"string white space", "client_name", "Boulangeries Martin SAS", "  Boulangeries\t Martin\n SAS ", true},
		{"string NFD vs NFC", "worker_name", "Élodie Lefèvre", "E\u0301lodie Lefe\u0300vre", true},
		{"string accents kept", "worker_name", "Élodie Lefèvre", "Elodie Lefevre", false},
		{"string full case folding", "client_name", "Straße Bau", "STRASSE BAU", true},
		{"string no-break space", "client_name", "Intérim Plus", "Intérim\u00a0Plus", true},
		{"string punctuation kept", "client_name", "N'Diaye", "N Diaye", false},
		{"string missing", "job_title", "Cariste", nil, false},
		{"string null equals null", "work_location", nil, nil, true},
		{"string null vs empty", "work_location", nil, "", false},
		{"string vs number", "contract_number", "12345", 12345.0, true},
		{"string vs json number", "contract_number", "12345", json.Number("12345"), true},
		{"string vs float json number", "job_title", "35", json.Number("35.0"), false},
		{"siret spaces", "agency_siret", "73282932000074", "732 829 320 00074", true},
		{"siret dots and dashes", "client_siret", "55210055400013", "552.100.554-00013", true},
		{"siret wrong digit", "client_siret", "55210055400013", "55210055400014", false},
		{"contract number dashes vs spaces", "contract_number", "CM-2026-004512", "cm 2026 004512", true},
		{"contract number slashes kept", "contract_number", "2026/NA/05326", "2026NA05326", false},
		{"other field keeps dashes", "worker_name", "Jean-Paul", "Jean Paul", false},
		{"date same", "start_date", "2026-03-02", "2026-03-02", true},
		{"date with time", "end_date", "2026-03-02", "2026-03-02T00:00:00Z", true},
		{"date other day", "period_start", "2026-03-02", "2026-03-03", false},
		{"date missing", "period_end", "2026-03-02", nil, false},
		{"date null expected", "period_end", nil, nil, false},
		{"decimal same", "hourly_rate", 13.45, 13.45, true},
		{"decimal within 0.005", "hourly_rate", 13.45, 13.454, true},
		{"decimal beyond 0.005", "hourly_rate", 13.45, 13.456, false},
		{"decimal comma string", "hourly_rate", 13.45, "13,45", true},
		{"decimal padded string", "weekly_hours", 35.0, " 35 ", true},
		{"decimal json number", "total_hours", 37.5, json.Number("37.50"), true},
		{"decimal with unit", "hourly_rate", 13.45, "13,45 €", false},
		{"decimal bool", "weekly_hours", 1.0, true, false},
		{"decimal null expected", "hourly_rate", nil, nil, false},
		{"entries same", "entries", entries("2026-03-02", 7.5, "2026-03-03", 8.0), entries("2026-03-02", 7.5, "2026-03-03", 8.0), true},
		{"entries order and duplicates", "entries", entries("2026-03-02", 7.5, "2026-03-03", 8.0), entries("2026-03-03", 8.0, "2026-03-02", 7.5, "2026-03-02", 7.5), true},
		{"entries hours as text", "entries", entries("2026-03-02", 7.5), entries("2026-03-02", "7,5"), true},
		{"entries hours rounded to 2 places", "entries", entries("2026-03-02", 7.5), entries("2026-03-02", 7.504), true},
		{"entries hours differ", "entries", entries("2026-03-02", 7.5), entries("2026-03-02", 7.51), false},
		{"entries one missing", "entries", entries("2026-03-02", 7.5, "2026-03-03", 8.0), entries("2026-03-02", 7.5), false},
		{"entries dates compare as text", "entries", entries("2026-03-02", 7.5), entries("2026-03-02T00:00:00", 7.5), false},
		{"entries non-objects skipped", "entries", entries("2026-03-02", 7.5), append(entries("2026-03-02", 7.5), "junk"), true},
		{"entries empty vs null", "entries", []any{}, nil, true},
		{"entries as Go structs", "entries", entries("2026-03-02", 7.5), []struct {
			Date  string  `json:"date"`
			Hours float64 `json:"hours"`
		}{{"2026-03-02", 7.5}}, true},
		{"entries NaN", "entries", entries("2026-03-02", 7.5), entries("2026-03-02", "nan"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Equal(tt.field, tt.want, tt.got); got != tt.equal {
				t.Errorf("Equal(%q, %#v, %#v) = %v, want %v", tt.field, tt.want, tt.got, got, tt.equal)
			}
		})
	}
}

func TestPyStr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   any
		want string
	}{
		{nil, "None"},
		{true, "True"},
		{35.0, "35"},
		{13.45, "13.45"},
		{json.Number("35"), "35"},
		{json.Number("-0"), "0"},
		{json.Number("35.0"), "35.0"},
		{json.Number("1e16"), "1e+16"},
		{json.Number("1e15"), "1000000000000000.0"},
		{json.Number("0.0001"), "0.0001"},
		{json.Number("0.00001"), "1e-05"},
		{json.Number("-1.5e-7"), "-1.5e-07"},
		{json.Number("123456789012345678e3"), "1.2345678901234568e+20"},
		{[]any{"a", 1.0}, `["a",1]`},
	}
	for _, tt := range tests {
		if got := pyStr(tt.in); got != tt.want {
			t.Errorf("pyStr(%#v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeString(t *testing.T) {
	t.Parallel()
	tests := []struct{ field, in, want string }{
		{"client_name", "  Élan\u00a0INTÉRIM \t Toulouse ", "élan intérim toulouse"},
		{"agency_siret", "732 829.320-00074", "73282932000074"},
		{"contract_number", "CM-2026 004.512", "cm2026004512"},
		{"job_title", "Ꭰ", "Ꭰ"}, // Cherokee capitals do not fold, as in CaseFolding.txt
		{"job_title", "ꭰ", "Ꭰ"},
	}
	for _, tt := range tests {
		if got := NormalizeString(tt.field, tt.in); got != tt.want {
			t.Errorf("NormalizeString(%q, %q) = %q, want %q", tt.field, tt.in, got, tt.want)
		}
	}
}
