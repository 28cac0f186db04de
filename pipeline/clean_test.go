package pipeline_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/docflow/docflow/pipeline"
)

func TestCleanFileName(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"contrat.pdf", "contrat.pdf"},
		{"relev\xe9 d'heures.pdf", "relevé d'heures.pdf"}, // Windows-1252 from an old client
		{"contrat\x00.pdf", "contrat.pdf"},
		{"a\r\nb\t.txt", "a b .txt"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\x\contrat.pdf`, "contrat.pdf"},
		{"", "upload"},
		{"..", "upload"},
		{"\x00\x01", "upload"},
	} {
		if got := pipeline.CleanFileName(c.in); got != c.want {
			t.Errorf("CleanFileName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	long := pipeline.CleanFileName(strings.Repeat("é", 400) + ".pdf")
	if len(long) > pipeline.MaxFileName || !strings.HasSuffix(long, ".pdf") || !utf8.ValidString(long) {
		t.Errorf("a long name: %d bytes, %q...", len(long), long[:20])
	}
}

func FuzzCleanFileName(f *testing.F) {
	for _, s := range []string{"contrat.pdf", "relev\xe9.pdf", "a\x00b", "../x", strings.Repeat("x", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := pipeline.CleanFileName(in)
		if got == "" || len(got) > pipeline.MaxFileName || !utf8.ValidString(got) || strings.ContainsAny(got, "/\\\x00") {
			t.Fatalf("CleanFileName(%q) = %q", in, got)
		}
		for _, r := range got {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("CleanFileName(%q) = %q holds a control character", in, got)
			}
		}
	})
}
