package llm

import (
	"slices"
	"testing"

	"github.com/docflow/docflow/pipeline"
)

// FuzzParseAnswer checks the decoding of a model's answers, which are as
// untrusted as the documents that steer them: an accepted answer holds
// only the schema's fields, without nulls or the injection flag, and
// turns into Fields with a confidence for each; and the answers for the
// parts of one long document merge into an answer that is valid too.
func FuzzParseAnswer(f *testing.F) {
	f.Add(`{"contract_number":"CM-2026-0101","agency_name":"Intérim Plus Lyon","agency_siret":"73282932000074","client_name":null,"hourly_rate":13.45,"weekly_hours":35,"start_date":"2026-03-02","reason":"temporary_increase","possible_prompt_injection":false}`,
		`{"client_name":"Boulangeries Martin SAS","end_date":"2026-04-30"}`, false)
	f.Add("```json\n{\"worker_name\":\"Élodie Lefèvre\",\"period_start\":\"2026-03-02\",\"entries\":[{\"date\":\"2026-03-02\",\"hours\":7.5}],\"total_hours\":7.5}\n```",
		`{"entries":[{"date":"2026-03-02","hours":7.5},{"date":"2026-03-03","hours":8}],"total_hours":15.5}`, true)
	f.Add(`{"entries":[null],"total_hours":null}`, `{"entries":[{"date":"2026-03-02","hours":7}]}`, true)
	f.Add(`{"hourly_rate":"13,45"}`, `{"unknown":1}`, false)
	f.Add(`{"Client_Name":"A","client_name":"B"}`, `{"entries":[{"DATE":"2026-03-02","hours":7}]}`, true)
	f.Add(`[1,2]`, "```", true)
	f.Add(`{"entries":[{"date":"2026-02-30","hours":-1}]}`, `{"entries":[{}, {"date":null}]}`, true)
	f.Fuzz(func(t *testing.T, first, second string, timesheet bool) {
		typ, names := pipeline.TypeContract, pipeline.ContractFields
		if timesheet {
			typ, names = pipeline.TypeTimesheet, pipeline.TimesheetFields
		}
		var answers []map[string]any
		for _, content := range []string{first, second} {
			a, err := parse(typ, content)
			if err != nil {
				continue
			}
			m := a.fields
			for k, v := range m {
				if v == nil || !slices.Contains(names, k) {
					t.Fatalf("parse(%q) kept %s = %v", content, k, v)
				}
			}
			fs, err := fieldsOf(typ, m)
			if err != nil {
				t.Fatalf("fieldsOf an accepted answer: %v", err)
			}
			if len(fs.Confidence) != len(m) {
				t.Fatalf("%d confidences for %d fields", len(fs.Confidence), len(m))
			}
			answers = append(answers, m)
		}
		if len(answers) < 2 {
			return
		}
		merged := mergeAnswers(answers)
		if _, err := fieldsOf(typ, merged); err != nil {
			t.Fatalf("merged answers %v: %v", merged, err)
		}
		for k := range merged {
			if _, a := answers[0][k]; !a {
				if _, b := answers[1][k]; !b {
					t.Fatalf("merge made up %s", k)
				}
			}
		}
	})
}
