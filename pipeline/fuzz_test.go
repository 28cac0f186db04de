package pipeline_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/docflow/docflow/pipeline"
)

// FuzzFieldsMerge checks a reviewer's corrections (the JSON body of an
// approval) laid over extracted fields: corrections the schema refuses
// are errors; accepted ones are in the result, marked as corrected with
// confidence 1; and the result decodes again to the same fields.
func FuzzFieldsMerge(f *testing.F) {
	contract := `{"contract_number":"CM-2026-0101","agency_siret":"73282932000074","worker_name":"Élodie Lefèvre","start_date":"2026-03-02","end_date":"2026-04-30","hourly_rate":13.45,"weekly_hours":35}`
	timesheet := `{"contract_number":"CM-2026-0101","period_start":"2026-03-02","period_end":"2026-03-08","entries":[{"date":"2026-03-02","hours":7.5}],"total_hours":7.5}`
	f.Add([]byte(contract), []byte(`{"hourly_rate":13.8,"worker_name":null,"reason":"replacement"}`), false)
	f.Add([]byte(contract), []byte(`{"start_date":"2026-02-30","hourly_rate":"13,45"}`), false)
	f.Add([]byte(contract), []byte(`{"entries":[]}`), false)
	f.Add([]byte(contract), []byte(`{"Hourly_Rate":99,"hourly_rate":13.8}`), false)
	f.Add([]byte(timesheet), []byte(`{"entries":[{"date":"2026-03-03","hours":8},{"date":"2026-03-04"}],"total_hours":null}`), true)
	f.Add([]byte(timesheet), []byte(`{"entries":[null],"period_end":"9999-12-31","total_hours":1e308}`), true)
	f.Add([]byte(`{}`), []byte(`{"contract_number":""}`), true)
	f.Fuzz(func(t *testing.T, fields, corrections []byte, timesheet bool) {
		typ := pipeline.TypeContract
		if timesheet {
			typ = pipeline.TypeTimesheet
		}
		base, err := pipeline.FieldsFromJSON(typ, fields)
		if err != nil {
			return
		}
		var corr map[string]any
		if json.Unmarshal(corrections, &corr) != nil {
			return
		}
		out, err := base.Merge(typ, corr)
		if err != nil {
			return
		}
		names := pipeline.ContractFields
		if timesheet {
			names = pipeline.TimesheetFields
		}
		for k := range corr {
			if !slices.Contains(names, k) {
				t.Fatalf("correction of %q, not a field of the spec, accepted", k)
			}
		}
		for k := range corr {
			if out.Confidence[k] != 1 || out.Sources[k].Text == "" {
				t.Fatalf("correction of %s not marked: %v, %+v", k, out.Confidence[k], out.Sources[k])
			}
		}
		m := out.Map()
		for k, v := range corr {
			if v == nil {
				if _, ok := m[k]; ok {
					t.Fatalf("%s cleared by null but still %v", k, m[k])
				}
			}
		}
		again, err := pipeline.FieldsFromMap(typ, m)
		if err != nil {
			t.Fatalf("merged fields do not decode again: %v", err)
		}
		if !reflect.DeepEqual(again.Map(), m) {
			t.Fatalf("fields change when decoded again: %v then %v", m, again.Map())
		}
	})
}
