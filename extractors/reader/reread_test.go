package reader

import (
	"bytes"
	"context"
	"image"
	"os/exec"
	"strings"
	"testing"

	"github.com/docflow/docflow/pipeline/testdocs"
)

// tableImage renders a small timesheet table at 300 dpi and cleans it like
// a scanned page.
func tableImage(t *testing.T) *image.Gray {
	t.Helper()
	text := strings.Join([]string{
		"Employee name        Rachid Mansouri",
		"",
		"Date             Day      Start      Finish      Hours",
		"2026-06-29       Mon      05:00      12:30       7.00",
		"2026-06-30       Tue      05:00      13:30       8.00",
		"2026-07-01       Wed      05:00      12:30       7.00",
		"2026-07-02       Thu      05:00      12:30       7.00",
		"2026-07-03       Fri      05:00      12:30       7.00",
		"Total hours                                      36.00",
	}, "\n")
	cmd := exec.Command("pdftoppm", "-r", "300", "-gray", "-singlefile", "-f", "1", "-l", "1", "-")
	cmd.Stdin = bytes.NewReader(testdocs.PDF(text))
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	img, err := decodePGM(out)
	if err != nil {
		t.Fatal(err)
	}
	return cleanPage(img, 300)
}

// lineWith returns the line of text that contains s, or "".
func lineWith(text, s string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// TestRereadRecoversCells stands in for the first pass's failures on a
// generated table: a dropped hours cell, a dropped row and a cell read as
// garbage. The second pass must bring them back, each on its row.
func TestRereadRecoversCells(t *testing.T) {
	t.Parallel()
	requireTool(t, "tesseract", "pdftoppm")
	r := New(Config{})
	ctx := context.Background()
	img := tableImage(t)
	words, err := r.ocrWords(ctx, encodePGM(img))
	if err != nil {
		t.Fatal(err)
	}
	first := layoutWords(words)
	for _, want := range []string{"2026-06-30", "2026-07-02", "2026-07-03", "13:30"} {
		if !strings.Contains(first, want) {
			t.Fatalf("first pass lacks %q:\n%s", want, first)
		}
	}
	// The 8.00 of 2026-06-30 dropped; the 2026-07-02 row dropped; the date
	// of 2026-07-03 read as garbage.
	var rowThu [4]int
	for _, w := range words {
		if w.text == "2026-07-02" {
			rowThu = w.line
		}
	}
	var damaged []ocrWord
	for _, w := range words {
		switch {
		case w.text == "8.00" || w.line == rowThu:
			continue
		case w.text == "2026-07-03":
			w.text, w.conf = "ETES", 31
		}
		damaged = append(damaged, w)
	}
	before := layoutWords(damaged)
	if strings.Contains(before, "8.00") || strings.Contains(before, "2026-07-02") || strings.Contains(before, "2026-07-03") {
		t.Fatalf("damage not done:\n%s", before)
	}
	got := layoutWords(r.reread(ctx, img, damaged))
	if l := lineWith(got, "2026-06-30"); !strings.Contains(l, "13:30") || !strings.Contains(l, "8.00") {
		t.Errorf("the hours of 2026-06-30 are not back on their row %q:\n%s", l, got)
	}
	if l := lineWith(got, "2026-07-02"); !strings.Contains(l, "Thu") || !strings.Contains(l, "7.00") {
		t.Errorf("the 2026-07-02 row is not back whole %q:\n%s", l, got)
	}
	if l := lineWith(got, "2026-07-03"); !strings.Contains(l, "Fri") || strings.Contains(got, "ETES") {
		t.Errorf("the garbled date is not read again %q:\n%s", l, got)
	}
	// Rows stay in order.
	if i, j, k := strings.Index(got, "2026-07-01"), strings.Index(got, "2026-07-02"), strings.Index(got, "2026-07-03"); !(i < j && j < k) {
		t.Errorf("rows out of order:\n%s", got)
	}
	// Nothing read twice.
	if n := strings.Count(got, "Mansouri"); n != 1 {
		t.Errorf("%d times Mansouri:\n%s", n, got)
	}
	if strings.Count(got, "7.00") != 4 || strings.Count(got, "05:00") != 5 {
		t.Errorf("cells lost or doubled:\n%s", got)
	}
}

func TestUncoveredInk(t *testing.T) {
	t.Parallel()
	img := image.NewGray(image.Rect(0, 0, 600, 300))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	fill := func(x0, y0, x1, y1 int) {
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				img.Pix[y*img.Stride+x] = 0
			}
		}
	}
	// A word of three letters, covered by a word box.
	fill(20, 20, 30, 50)
	fill(35, 20, 45, 50)
	fill(50, 30, 60, 50)
	// Two letters no word covers, and a full stop after them.
	fill(200, 20, 212, 50)
	fill(216, 20, 228, 50)
	fill(232, 45, 236, 50)
	// A table rule, a frame, a speck.
	fill(10, 100, 590, 103)
	fill(300, 150, 302, 290)
	fill(400, 200, 403, 203)
	words := []ocrWord{{left: 20, top: 20, width: 40, height: 30, conf: 95, text: "abc"}}
	got := uncoveredInk(img, words, 30)
	if len(got) != 1 || got[0] != image.Rect(200, 20, 236, 50) {
		t.Fatalf("got %v, want the two letters and the stop", got)
	}
}

func TestMergeRereads(t *testing.T) {
	t.Parallel()
	line1, line2 := [4]int{1, 1, 1, 1}, [4]int{1, 1, 1, 2}
	words := []ocrWord{
		{line: line1, left: 0, top: 0, width: 100, height: 30, conf: 95, text: "Date"},
		{line: line1, left: 300, top: 0, width: 100, height: 30, conf: 40, text: "Inès"},
		{line: line2, left: 0, top: 200, width: 100, height: 30, conf: 95, text: "Total"},
		{line: line2, left: 300, top: 200, width: 100, height: 30, conf: 30, text: "ETES"},
	}
	targets := []rereadTarget{{replace: 1}, {replace: 3}, {replace: -1}, {replace: -1}}
	found := [][]ocrWord{
		{{left: 300, top: 0, width: 100, height: 30, conf: 93, text: "Inés"}},    // accents only: kept
		{{left: 300, top: 200, width: 100, height: 30, conf: 94, text: "36.00"}}, // replaced
		{{left: 0, top: 100, width: 100, height: 30, conf: 90, text: "Hours"}},   // a new line
		{{left: 600, top: 5, width: 100, height: 30, conf: 90, text: "7.00"}},    // on line 1
	}
	got := layoutWords(mergeRereads(words, targets, found, 30))
	lines := strings.Split(strings.TrimRight(got, "\n"), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "Inès") || !strings.HasSuffix(lines[0], "7.00") ||
		strings.TrimSpace(lines[1]) != "Hours" || !strings.Contains(lines[2], "36.00") {
		t.Fatalf("got:\n%s", got)
	}
	// A second reading that is no more confident changes nothing.
	found = [][]ocrWord{{{left: 300, top: 200, width: 100, height: 30, conf: 50, text: "35.00"}}}
	if got := mergeRereads(words, targets[1:2], found, 30); got[3].text != "ETES" {
		t.Fatalf("replaced by a doubtful reading: %+v", got[3])
	}
}
