package pipeline_test

import (
	"encoding/json"
	"testing"

	"github.com/docflow/docflow/pipeline"
)

func TestContractKey(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ a, b string }{
		{"CM-2026-004512", "CM 2026 004512"},
		{"CM-2026-004512", "cm2026004512"},
		{"2026/NA/05326", "2026/na/05326"},
		{"MIS.26.06948", "MIS-26-06948"},
	} {
		if pipeline.ContractKey(c.a) != pipeline.ContractKey(c.b) {
			t.Errorf("ContractKey(%q) = %q, ContractKey(%q) = %q, want equal", c.a, pipeline.ContractKey(c.a), c.b, pipeline.ContractKey(c.b))
		}
	}
	if pipeline.ContractKey("CM-2026-1") == pipeline.ContractKey("CM-2026-2") {
		t.Error("different numbers share a key")
	}
}

func TestFieldsMergeCorrections(t *testing.T) {
	t.Parallel()
	rate := 9.5
	start, _ := pipeline.ParseDate("2026-03-02")
	f := pipeline.Fields{Contract: &pipeline.Contract{ContractNumber: "CM-1", HourlyRate: &rate, StartDate: &start, JobTitle: "Cariste"},
		Confidence: map[string]float64{"hourly_rate": 0.4, "job_title": 0.9}}
	got, err := f.Merge(pipeline.TypeContract, map[string]any{"hourly_rate": 12.5, "end_date": "2026-04-30", "job_title": nil})
	if err != nil {
		t.Fatal(err)
	}
	c := got.Contract
	if *c.HourlyRate != 12.5 || c.EndDate.String() != "2026-04-30" || c.JobTitle != "" || c.ContractNumber != "CM-1" {
		t.Errorf("merged contract = %+v", c)
	}
	if got.Confidence["hourly_rate"] != 1 || got.Confidence["job_title"] != 1 {
		t.Errorf("corrected fields' confidence = %v, want 1", got.Confidence)
	}
	if *f.Contract.HourlyRate != 9.5 {
		t.Error("Merge changed its receiver")
	}
	for _, bad := range []map[string]any{
		{"hourly_rate": "cheap"},
		{"start_date": "02/03/2026"},
		{"no_such_field": 1},
	} {
		if _, err := f.Merge(pipeline.TypeContract, bad); err == nil {
			t.Errorf("Merge(%v) succeeded, want an error", bad)
		}
	}
}

func TestFieldsMapUsesSpecNames(t *testing.T) {
	t.Parallel()
	d, _ := pipeline.ParseDate("2026-03-02")
	total := 7.5
	f := pipeline.Fields{Timesheet: &pipeline.Timesheet{ContractNumber: "CM-1", PeriodStart: &d,
		Entries: []pipeline.Entry{{Date: d, Hours: 7.5}}, TotalHours: &total}}
	b, _ := json.Marshal(f.Map())
	want := `{"contract_number":"CM-1","entries":[{"date":"2026-03-02","hours":7.5}],"period_start":"2026-03-02","total_hours":7.5}`
	if string(b) != want {
		t.Errorf("Map() = %s, want %s", b, want)
	}
	back, err := pipeline.FieldsFromJSON(pipeline.TypeTimesheet, b)
	if err != nil || back.Timesheet.Entries[0].Date != d {
		t.Errorf("round trip: %+v, %v", back.Timesheet, err)
	}
}
