package authz_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/docflow/docflow/authz"
)

var update = flag.Bool("update", false, "write the rendered matrix into ../README.md")

// The README's matrix sits between these markers.
const (
	readmeBegin = "<!-- authz matrix: rendered by authz.Markdown; go test ./authz -update -->\n"
	readmeEnd   = "<!-- end of the authz matrix -->"
)

// TestREADMEMatrix fails when the README's table differs from the matrix;
// go test ./authz -run TestREADMEMatrix -update writes it again.
func TestREADMEMatrix(t *testing.T) {
	const path = "../README.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	before, rest, ok := strings.Cut(readme, readmeBegin)
	if !ok {
		t.Fatalf("%s has no line %q", path, strings.TrimSpace(readmeBegin))
	}
	table, after, ok := strings.Cut(rest, readmeEnd)
	if !ok {
		t.Fatalf("%s has no line %q after the matrix", path, readmeEnd)
	}
	want := authz.Markdown()
	if table == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(before+readmeBegin+want+readmeEnd+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's authorisation table differs from authz.Markdown() (go test ./authz -update writes it):\n--- README\n%s\n--- matrix\n%s", table, want)
}
