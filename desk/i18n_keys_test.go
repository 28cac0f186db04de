package desk

import (
	"io/fs"
	"regexp"
	"testing"
)

// TestTemplatesUseKnownMessages: every message a template asks for exists
// in both languages, so no page shows a key or a formatting error.
func TestTemplatesUseKnownMessages(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`\.[TF] "([a-z0-9_.]+)"`)
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("templates: %v", err)
	}
	for _, f := range files {
		b, _ := fs.ReadFile(templateFS, f)
		for _, m := range re.FindAllSubmatch(b, -1) {
			key := string(m[1])
			msg, ok := messages[key]
			if !ok || msg[0] == "" || msg[1] == "" {
				t.Errorf("%s: message %q is missing in French or English", f, key)
			}
		}
	}
}
