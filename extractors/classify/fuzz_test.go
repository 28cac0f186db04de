package classify

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/docflow/docflow/pipeline"
)

// FuzzClassify checks the classifier on any text: a known type, a score
// 0..1, scores that are not negative, and a folding that keeps UTF-8 text
// valid and is stable (folding twice changes nothing more).
func FuzzClassify(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "rules", "testdata", "*.txt"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(string(b))
		}
	}
	for _, s := range []string{
		"CONTRAT DE MISSION N° X-1\nMotif du recours : accroissement temporaire d'activité\nTaux horaire brut : 13,45 €",
		"RELEVÉ D'HEURES\nLundi 02/03 08:00-12:00 13:00-16:30\nMardi 03/03 7h30\nTotal : 15h",
		"Facture n° 12\nTotal TTC : 120,00 €\nIBAN FR76", "", "ǅŉ\u0345ΐ’ʼ`\u00a0\u202f", strings.Repeat("lun 1/1 7h\n", 50),
	} {
		f.Add(s)
	}
	c := New()
	f.Fuzz(func(t *testing.T, text string) {
		typ, score := c.Classify(pipeline.Content{Text: text})
		switch typ {
		case pipeline.TypeContract, pipeline.TypeTimesheet, pipeline.TypeOther:
		default:
			t.Fatalf("type %q", typ)
		}
		if !(score >= 0 && score <= 1) {
			t.Fatalf("score %v", score)
		}
		s := Score(text)
		for _, v := range []float64{s.Contract, s.Timesheet, s.Other} {
			if v < 0 || math.IsNaN(v) {
				t.Fatalf("scores %+v", s)
			}
		}
		if s.DayRows < 0 || s.DayRows > strings.Count(text, "\n")+1 {
			t.Fatalf("%d day rows in %d lines", s.DayRows, strings.Count(text, "\n")+1)
		}
		if !utf8.ValidString(text) {
			return
		}
		folded := Fold(text)
		if !utf8.ValidString(folded) {
			t.Fatalf("Fold(%q) = %q", text, folded)
		}
		if again := Fold(folded); again != folded {
			t.Fatalf("Fold is not stable: %q then %q", folded, again)
		}
	})
}
