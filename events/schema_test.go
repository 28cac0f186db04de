package events_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/docflow/docflow/events"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// checkSchema validates events against api/events.schema.json, the
// documented contract.
func checkSchema(t *testing.T, evs []events.Event) {
	t.Helper()
	raw, err := os.ReadFile("../api/events.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("events.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("events.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		var v any
		if err := json.Unmarshal(e.JSON(), &v); err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(v); err != nil {
			t.Errorf("event %s does not follow api/events.schema.json: %v\n%s", e.Type, err, e.JSON())
		}
	}
}
