package config

import (
	"strings"
	"testing"
	"time"
)

func TestFromLookup(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	c, err := FromLookup(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != DefaultAddr || c.PostgresURL != DefaultPostgresURL || c.Workers != DefaultWorkers || c.RescueAfter != DefaultRescueAfter {
		t.Errorf("defaults = %+v", c)
	}
	c, err = FromLookup(env(map[string]string{"DOCFLOW_WORKERS": "8", "DOCFLOW_RESCUE_AFTER": "90s", "DOCFLOW_AUTO_COMMIT_WARNINGS": "true"}))
	if err != nil || c.Workers != 8 || c.RescueAfter != 90*time.Second || !c.AutoCommitWarnings {
		t.Errorf("overrides = %+v, %v", c, err)
	}
	for _, bad := range []map[string]string{
		{"DOCFLOW_WORKERS": "many"},
		{"DOCFLOW_MAX_UPLOAD_BYTES": "0"},
		{"DOCFLOW_RESCUE_AFTER": "soon"},
		{"DOCFLOW_AUTO_COMMIT_WARNINGS": "perhaps"},
		{"DOCFLOW_LLM_MODE": "sometimes"},
		{"DOCFLOW_LLM_BASE_URL": "http://localhost:11434/v1"},
		{"DOCFLOW_LLM_TIMEOUT": "long"},
		{"DOCFLOW_LLM_VISION": "glasses"},
		{"DOCFLOW_LLM_PROVIDER": "oracle"},
	} {
		if _, err := FromLookup(env(bad)); err == nil {
			t.Errorf("FromLookup(%v) succeeded, want an error", bad)
		}
	}
}

func TestDumpHidesPasswords(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	Config{PostgresURL: "postgres://app:s3cret@db:5432/docflow", MariaDBDSN: "root:hunter2@tcp(db:3306)/docflow",
		LLM: LLM{BaseURL: "https://llm.example/v1", APIKey: "sk-very-secret", Model: "m", Mode: "always"}}.Dump(&b)
	if strings.Contains(b.String(), "s3cret") || strings.Contains(b.String(), "hunter2") || strings.Contains(b.String(), "sk-very-secret") {
		t.Errorf("Dump leaks a password: %s", b.String())
	}
}
