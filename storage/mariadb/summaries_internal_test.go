package mariadb

import (
	"strings"
	"testing"
	"time"
)

func TestNameKey(t *testing.T) {
	t.Parallel()
	same := [][]string{
		{"Élodie Lefèvre", "ÉLODIE  LEFÈVRE", " élodie\tlefèvre ", "E\u0301lodie Lefe\u0300vre"},
		{"N’Diaye Awa", "n'diaye awa"},
		{"Straße GmbH", "STRASSE GMBH"},
	}
	for _, group := range same {
		for _, s := range group[1:] {
			if NameKey(s) != NameKey(group[0]) {
				t.Errorf("NameKey(%q) = %q, NameKey(%q) = %q: want one key", s, NameKey(s), group[0], NameKey(group[0]))
			}
		}
	}
	if NameKey("Elodie Lefevre") == NameKey("Élodie Lefèvre") {
		t.Error("accents must be kept")
	}
	if got := NameKey("  Élodie   LEFÈVRE "); got != "élodie lefèvre" {
		t.Errorf("NameKey = %q", got)
	}
	if got := NameKey(strings.Repeat("ß", 200)); len([]rune(got)) != nameKeyMax {
		t.Errorf("long key has %d characters, want %d", len([]rune(got)), nameKeyMax)
	}
}

func TestISOWeekStart(t *testing.T) {
	t.Parallel()
	for d := time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2032; d = d.AddDate(0, 0, 1) {
		y, w := d.ISOWeek()
		start := isoWeekStart(y, w)
		if start.Weekday() != time.Monday || d.Before(start) || !d.Before(start.AddDate(0, 0, 7)) {
			t.Fatalf("%s is in ISO week %d-W%02d, whose Monday is not %s", d.Format(time.DateOnly), y, w, start.Format(time.DateOnly))
		}
	}
}
