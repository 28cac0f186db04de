package run

import (
	"bytes"
	"strings"
	"testing"
)

func TestProgress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		tty         bool
		total       int
		wantLines   int
		wantReturns int
	}{
		{"log, few documents", false, 3, 3, 0},
		{"log, many documents", false, 250, 10, 0},
		{"terminal", true, 250, 1, 2}, // the first draw, then throttled until the last, then finish
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			p := newProgress(&buf, tt.total)
			p.tty = tt.tty
			for i := range tt.total {
				p.add(i == 0)
			}
			p.finish()
			out := buf.String()
			if n := strings.Count(out, "\n"); n != tt.wantLines {
				t.Errorf("%d lines, want %d:\n%s", n, tt.wantLines, out)
			}
			if n := strings.Count(out, "\r"); n < tt.wantReturns || n > tt.wantReturns+1 {
				t.Errorf("%d redraws, want about %d", n, tt.wantReturns)
			}
			last := out[strings.LastIndexAny(strings.TrimSuffix(out, "\n"), "\r\n")+1:]
			if !strings.HasPrefix(last, "[==============================] ") || !strings.Contains(last, "documents  1 failed  0s") {
				t.Errorf("last line %q", last)
			}
		})
	}
	var nilBar *progress
	nilBar.add(true)
	nilBar.finish()
}
