package config

import (
	"bytes"
	"strings"
	"testing"
)

// TestRedactHidesEveryPasswordForm: the start-up dump hides a database
// password in each form pgx and go-sql-driver take it (URL userinfo,
// password query parameter, keyword/value password), and prints the rest
// of the URL or DSN unchanged.
func TestRedactHidesEveryPasswordForm(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"postgres://app:S3cr3tPw@db:5432/docflow?sslmode=disable":                          "postgres://app:***@db:5432/docflow?sslmode=disable",
		"postgres://127.0.0.1:5432/docflow?user=docflow&password=S3cr3tPw&sslmode=disable": "postgres://127.0.0.1:5432/docflow?user=docflow&password=***&sslmode=disable",
		"postgresql://db/docflow?PASSWORD=S3cr3tPw":                                        "postgresql://db/docflow?PASSWORD=***",
		"postgres://db/docflow?pass%77ord=S3cr3tPw#x":                                      "postgres://db/docflow?pass%77ord=***#x",
		"postgres://app:S3cr3tPw@h1:5432,h2:5432/docflow?password=S3cr3tPw":                "postgres://app:***@h1:5432,h2:5432/docflow?password=***",
		"postgres://app@db/docflow?application_name=a@b":                                   "postgres://app@db/docflow?application_name=a@b",
		"host=127.0.0.1 user=docflow password=S3cr3tPw dbname=docflow":                     "host=127.0.0.1 user=docflow password=*** dbname=docflow",
		"host=db password = 'S3cr3t Pw\\'x' dbname=docflow":                                "host=db password = *** dbname=docflow",
		"host=db password=S3cr3t\\ Pw dbname=docflow":                                      "host=db password=*** dbname=docflow",
		"root:S3cr3tPw@tcp(db:3306)/docflow?parseTime=true":                                "root:***@tcp(db:3306)/docflow?parseTime=true",
		"root:S3cr/@?tPw@tcp(db:3306)/docflow?parseTime=true":                              "root:***@tcp(db:3306)/docflow?parseTime=true",
		"root@tcp(127.0.0.1:3306)/docflow?parseTime=true":                                  "root@tcp(127.0.0.1:3306)/docflow?parseTime=true",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDumpHidesPostgresPasswordInQueryAndKeywordForm: Dump (printed by
// serve at start) hides a PostgreSQL password however the setting carries
// it.
func TestDumpHidesPostgresPasswordInQueryAndKeywordForm(t *testing.T) {
	t.Parallel()
	for _, pg := range []string{
		"postgres://127.0.0.1:5432/docflow?user=docflow&password=S3cr3tPw&sslmode=disable",
		"host=127.0.0.1 user=docflow password=S3cr3tPw dbname=docflow",
	} {
		env := map[string]string{"DOCFLOW_POSTGRES_URL": pg}
		c, err := FromLookup(func(k string) (string, bool) { s, ok := env[k]; return s, ok })
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		c.Dump(&b)
		if strings.Contains(b.String(), "S3cr3tPw") || !strings.Contains(b.String(), "password=***") {
			t.Errorf("Dump does not hide the PostgreSQL password: %s", strings.SplitN(b.String(), "\n", 2)[0])
		}
	}
}

// TestFloatSettingsRejectNaNAndInf: every float setting must be a finite
// number; NaN would turn a rate limit off (it compares false with
// everything) and Inf is no rate or price.
func TestFloatSettingsRejectNaNAndInf(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"DOCFLOW_RATE_PER_KEY", "DOCFLOW_RATE_PER_TENANT", "DOCFLOW_LLM_INPUT_PRICE", "DOCFLOW_LLM_OUTPUT_PRICE"} {
		for _, v := range []string{"NaN", "nan", "Inf", "+Inf", "-Inf", "infinity", "1e400", "-1"} {
			env := map[string]string{name: v}
			c, err := FromLookup(func(k string) (string, bool) { s, ok := env[k]; return s, ok })
			if err == nil {
				t.Errorf("%s=%s accepted (rate per key %v, per tenant %v, prices %v/%v), want an error",
					name, v, c.RateLimit.PerKey, c.RateLimit.PerTenant, c.LLM.InputPrice, c.LLM.OutputPrice)
			} else if !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%s: error %q does not name the setting", name, v, err)
			}
		}
		env := map[string]string{name: "2.5"}
		if _, err := FromLookup(func(k string) (string, bool) { s, ok := env[k]; return s, ok }); err != nil {
			t.Errorf("%s=2.5: %v", name, err)
		}
	}
}
