package main

import (
	"strings"
	"testing"
)

func TestSplice(t *testing.T) {
	t.Parallel()
	doc := "# Benchmarks\n\nfindings\n"
	once := splice(doc, "## Latest\n\nrun 1\n")
	if !strings.HasPrefix(once, doc+"\n"+beginMarker+"\n## Latest\n\nrun 1\n"+endMarker+"\n") {
		t.Fatalf("first write:\n%s", once)
	}
	edited := strings.Replace(once, endMarker+"\n", endMarker+"\n\nkept after\n", 1)
	twice := splice(edited, "## Latest\n\nrun 2\n")
	if strings.Contains(twice, "run 1") || !strings.Contains(twice, "run 2") || !strings.HasPrefix(twice, doc) ||
		!strings.HasSuffix(twice, endMarker+"\n\nkept after\n") || strings.Count(twice, beginMarker) != 1 {
		t.Fatalf("second write:\n%s", twice)
	}
	if got := splice("", "x\n"); got != beginMarker+"\nx\n"+endMarker+"\n" {
		t.Fatalf("into an empty file: %q", got)
	}
}
