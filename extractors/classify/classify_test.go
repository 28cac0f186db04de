package classify

import (
	"testing"

	"github.com/docflow/docflow/pipeline"
)

// TestClassify checks the types of short typical texts.
func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want pipeline.DocumentType
	}{
		{"french contract", `CONTRAT DE MISSION N° X-1
Entreprise utilisatrice : Boulangerie Dupain SAS
Motif du recours : accroissement temporaire d'activité
Date de début : 02/03/2026   Date de fin : 30/04/2026
Taux horaire brut : 13,45 €   Durée hebdomadaire : 35 heures
Période d'essai : 2 jours`, pipeline.TypeContract},
		{"english contract", `Temporary Assignment Contract
Client company   Acme France SAS
Reason for assignment   Replacement of an absent employee
Start date   March 2, 2026      End date   April 30, 2026
Hourly rate (gross)   €13.45     Weekly working hours   35 hours
Trial period   2 days`, pipeline.TypeContract},
		{"french timesheet", `RELEVÉ D'HEURES
Semaine du 02/03/2026 au 08/03/2026
Lundi 02/03/2026 08:00 16:00 7h30
Mardi 03/03/2026 08:00 16:00 7h30
Mercredi 04/03/2026 08:00 15:30 7h00
Total 22h00`, pipeline.TypeTimesheet},
		{"prose timesheet", `Voici les heures effectuées :
- lundi 02/03 : 8h
- mardi 03/03 : 7h30
Total : 15h30`, pipeline.TypeTimesheet},
		{"invoice", `FACTURE N° FA-2026-001
Prestations de travail temporaire - contrat de mission
Montant HT 1 200,00 €  TVA 20 %  Total TTC 1 440,00 €`, pipeline.TypeOther},
		{"cover note", "Bonjour, veuillez trouver ci-joint le contrat de mission. Cordialement", pipeline.TypeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, score := New().Classify(pipeline.Content{Text: tt.text})
			if got != tt.want {
				t.Fatalf("Classify = %s (%.2f), want %s", got, score, tt.want)
			}
			if score < 0 || score > 1 {
				t.Fatalf("score %.2f out of 0..1", score)
			}
		})
	}
}

// TestFold checks folding of accents and apostrophes.
func TestFold(t *testing.T) {
	t.Parallel()
	if got := Fold("Relevé d’Heures"); got != "releve d'heures" {
		t.Fatalf("Fold = %q", got)
	}
}
