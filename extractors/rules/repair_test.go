package rules

import (
	"context"
	"testing"

	"github.com/docflow/docflow/pipeline"
)

// TestParseRate checks rates as printed and the repair of OCR noise.
func TestParseRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       string
		want     float64
		repaired bool
		ok       bool
	}{
		{"13,45 €", 13.45, false, true},
		{"€13.45", 13.45, false, true},
		{"12584", 12.58, true, true},  // "12,58 €" without its comma, € read as 4
		{"1258 €", 12.58, true, true}, // comma lost
		{"12,584", 12.584, false, true},
		{"8734", 0, false, false},   // 87,34 € would be absurd too: left empty
		{"125840", 0, false, false}, // too many digits to guess
		{"2", 0, false, false},
		{"450 €", 0, false, false},
	}
	for _, tt := range tests {
		v, repaired, ok := parseRate(tt.in)
		if ok != tt.ok || repaired != tt.repaired || ok && v != tt.want {
			t.Errorf("parseRate(%q) = %v, %v, %v; want %v, %v, %v", tt.in, v, repaired, ok, tt.want, tt.repaired, tt.ok)
		}
	}
	for in, want := range map[string]float64{"35 h": 35, "3500": 35, "3750": 37.5, "35,00 h": 35} {
		if v, _, ok := parseWeekly(in); !ok || v != want {
			t.Errorf("parseWeekly(%q) = %v, %v; want %v", in, v, ok, want)
		}
	}
	if _, _, ok := parseWeekly("9000"); ok {
		t.Error("parseWeekly(9000) read a value")
	}
}

// TestRepairedConfidence checks that a repaired rate goes to review with
// a confidence below 0.5.
func TestRepairedConfidence(t *testing.T) {
	t.Parallel()
	f, err := New().Extract(context.Background(), pipeline.TypeContract,
		pipeline.Content{Text: "Taux horaire brut           :          12584\nDurée hebdomadaire : 35 h", Confidence: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	if r := f.Contract.HourlyRate; r == nil || *r != 12.58 || f.Confidence["hourly_rate"] >= 0.5 {
		t.Fatalf("hourly_rate = %v (%.2f), want 12.58 below 0.5", r, f.Confidence["hourly_rate"])
	}
	if f.Confidence["weekly_hours"] < 0.5 {
		t.Fatalf("weekly_hours confidence %.2f", f.Confidence["weekly_hours"])
	}
}

// TestUSDates checks that numeric dates are read month first only when a
// document cannot be read day first.
func TestUSDates(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]string{
		"Start date: 03/02/2026\nEnd date: 04/17/2026": "2026-03-02", // 17 cannot be a month
		"Start date: 03/02/2026\nEnd date: 17/04/2026": "2026-02-03", // 17 cannot be a month either way
		"Start date: 03/02/2026\nEnd date: 04/05/2026": "2026-02-03", // ambiguous: day first
	} {
		start, _ := missionDates(newDoc(text))
		if start.date == nil || start.date.String() != want {
			t.Errorf("%q: start %v, want %s", text, start.date, want)
		}
	}
}
