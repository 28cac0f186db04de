package rules

import (
	"context"
	"testing"

	"github.com/docflow/docflow/pipeline"
)

// TestSIRETContinued checks SIRETs that OCR prints with wide gaps or
// wrapped onto the next line, and that only the 14 digits of a SIRET are
// joined so.
func TestSIRETContinued(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text, want string
	}{
		// Wrapped prose, the next line indented as OCR keeps the margin.
		{"      La société Verger Test SAS, SIRET 123 456\n      789 00012, située 4 rue Haute, 21000 Dijon", "12345678900012"},
		// Justified: groups far apart on one line.
		{"   immatriculée sous le SIRET   123   456   789   00012,   située", "12345678900012"},
		// The label ends its line.
		{"  SIRET :\n     123 456 789 00012\n", "12345678900012"},
		// As before: tight groups, a line end without indentation, 13 digits.
		{"SIRET 123 456 789\n00012, située", "12345678900012"},
		{"SIRET : 123 456 789 0001", "1234567890001"},
		// Not a SIRET: 13 digits across a wide gap, a SIREN beside a
		// postcode, a SIRET cut before a street number.
		{"  SIRET 123 456\n      789 0001, située", ""},
		{"  SIREN : 123 456 789      21000 Dijon", ""},
		{"  SIRET 123 456 789\n   12 rue Haute", ""},
		{"  SIRET\n  Adresse : 12 rue Haute", ""},
	}
	for _, tt := range tests {
		fold, raw, starts := newDoc(tt.text).joined()
		_ = starts
		got := ""
		for _, m := range reSIRETLabel.FindAllStringIndex(fold, -1) {
			if s, e, ok := siretAfter(raw, runeIndex(fold, m[1]), fold[m[0]:m[1]] == "siret"); ok {
				got = digitsOf(string(raw[s:e]))
			}
		}
		if got != tt.want {
			t.Errorf("%q: SIRET %q, want %q", tt.text, got, tt.want)
		}
	}
}

// TestClientSIRETWrapped reads a prose contract whose client's SIRET wraps,
// as a scan prints it.
func TestClientSIRETWrapped(t *testing.T) {
	t.Parallel()
	text := `          La société Essai Intérim Nord, entreprise de travail temporaire, SIRET 111 222 333
          00044, dont le siège est situé 3 rue du Port, 59000 Lille,
          ARTICLE 1 - ENTREPRISE UTILISATRICE
          Le Salarié est mis à la disposition de la société Laiterie Témoin SAS, SIRET 555 666
          777 00088, située 9 rue des Prés, 59100 Roubaix.`
	p := findParties(newDoc(text))
	if p.agencySIRET.value != "11122233300044" || p.clientSIRET.value != "55566677700088" {
		t.Fatalf("SIRETs %q, %q", p.agencySIRET.value, p.clientSIRET.value)
	}
	if p.client.value != "Laiterie Témoin SAS" {
		t.Fatalf("client %q", p.client.value)
	}
}

// TestProseWrappedName reads a client's name that a scanned attestation
// wraps onto an indented line.
func TestProseWrappedName(t *testing.T) {
	t.Parallel()
	text := `           Je soussigné, Paul Témoin, gérant de la société Menuiseries
            Essai Frères SARL, atteste que M. Hugo Exemple a effectué les heures suivantes
           au cours de la période du 2 mars 2026 au 8 mars 2026 :
            - lundi 2 mars 2026 : 7 h
            Soit un total de 7 h.`
	f, err := New().Extract(context.Background(), pipeline.TypeTimesheet, pipeline.Content{Text: text, Confidence: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Timesheet.ClientName; got != "Menuiseries Essai Frères SARL" {
		t.Fatalf("client_name %q", got)
	}
	if s := f.Sources["client_name"]; s.Line != 1 {
		t.Fatalf("client_name source line %d, want 1", s.Line)
	}
	// A short line above a cell of a table is not joined to it.
	d := newDoc("    chez Essai SAS\n    12 rue Haute\n")
	if got := tsClient(d).value; got != "Essai SAS" {
		t.Fatalf("table client %q", got)
	}
}

// TestLabelAfterSpeck reads labels that OCR prints after a stray mark at
// the edge of a box, the label wrapped over two lines.
func TestLabelAfterSpeck(t *testing.T) {
	t.Parallel()
	text := `     Intérimaire          DURAND Léa                 Matricule        123
     -Entreprise          .Scierie Témoin             N° de contrat    ST-2026-0001
     utilisatrice
     Jour        Date          Heures
     Lundi       02/03/2026    7h00
     Total                     7h00`
	f, err := New().Extract(context.Background(), pipeline.TypeTimesheet, pipeline.Content{Text: text, Confidence: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Timesheet.ClientName; got != "Scierie Témoin" {
		t.Fatalf("client_name %q", got)
	}
	if !isLabel("-Entreprise utilisatrice") {
		t.Fatal("a label after a speck is not a label")
	}
}

// TestUndatedRow dates a table row whose date OCR lost from its weekday
// and the row above, and leaves alone rows it cannot date surely.
func TestUndatedRow(t *testing.T) {
	t.Parallel()
	e := func(d string, h float64) map[string]any { return map[string]any{"date": d, "hours": h} }
	text := `    Date            Day        Start      Finish       Hours
    2026-03-02      Mon        08:00      16:00        7.50
    2026-03-03      Tue        08:00      16:00        7.00
    #%&!            Wed        08:00      16:00        6.50
    2026-03-05      Thu        08:00      16:00        7.00
    Total hours                                        28.00
    Signed on Friday                                   3`
	f, err := New().Extract(context.Background(), pipeline.TypeTimesheet, pipeline.Content{Text: text, Confidence: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	check(t, f, map[string]any{"entries": []any{e("2026-03-02", 7.5), e("2026-03-03", 7), e("2026-03-04", 6.5), e("2026-03-05", 7)}})
	// The weekday of the row above does not match its date: no guess.
	bad := `    Date            Day        Hours
    2026-03-02      Tue        7.50
    xxxx            Wed        6.50
    Total                      14.00`
	f, _ = New().Extract(context.Background(), pipeline.TypeTimesheet, pipeline.Content{Text: bad, Confidence: 0.9})
	check(t, f, map[string]any{"entries": []any{e("2026-03-02", 7.5)}})
	// The guessed date would come after the next dated row: no guess.
	late := `    Date            Day        Hours
    2026-03-02      Mon        7.50
    xxxx            Fri        6.50
    2026-03-04      Wed        7.00
    Total                      21.00`
	f, _ = New().Extract(context.Background(), pipeline.TypeTimesheet, pipeline.Content{Text: late, Confidence: 0.9})
	check(t, f, map[string]any{"entries": []any{e("2026-03-02", 7.5), e("2026-03-04", 7)}})
}

// TestAccentRepair writes "è" where OCR read an "é" that French spelling
// forbids, in scans only.
func TestAccentRepair(t *testing.T) {
	t.Parallel()
	text := "Poste : Couturiére\nSalarié : Thérése Exemple\nEntreprise utilisatrice : Café José SARL\n"
	for conf, want := range map[float64][2]string{
		0.9: {"Couturière", "Thérèse Exemple"},
		1:   {"Couturiére", "Thérése Exemple"}, // a text layer is read as printed
	} {
		f, err := New().Extract(context.Background(), pipeline.TypeContract, pipeline.Content{Text: text, Confidence: conf})
		if err != nil {
			t.Fatal(err)
		}
		c := f.Contract
		if c.JobTitle != want[0] || c.WorkerName != want[1] || c.ClientName != "Café José SARL" {
			t.Errorf("confidence %v: %q, %q, %q", conf, c.JobTitle, c.WorkerName, c.ClientName)
		}
	}
}

// TestCompanyWrapped joins a company's name that its cell wraps, and
// leaves an address under it alone.
func TestCompanyWrapped(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]string{
		"  Entreprise utilisatrice :   Tuilerie Témoin\n                               SARL\n":       "Tuilerie Témoin SARL",
		"  Entreprise utilisatrice :   Caves Réunies de\n                               Bourgogne\n": "Caves Réunies de Bourgogne",
		"  Entreprise utilisatrice :   Tuilerie Témoin\n                               Zone Nord\n":  "Tuilerie Témoin",
		"  Entreprise utilisatrice :   Tuilerie Témoin\n                               Dijon\n":      "Tuilerie Témoin",
	} {
		if got := findParties(newDoc(text)).client.value; got != want {
			t.Errorf("%q: client %q, want %q", text, got, want)
		}
	}
}
