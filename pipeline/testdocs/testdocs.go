// Package testdocs makes synthetic documents for tests and benchmarks: the
// text of French contracts and timesheets with chosen values, and small
// text PDFs written from scratch, so that tests never depend on files
// outside the repository.
package testdocs

import (
	"fmt"
	"strings"

	"github.com/docflow/docflow/pipeline"
)

// Contract returns the text of a French assignment contract with c's values.
// Empty values leave their line out.
func Contract(c pipeline.Contract) string {
	var b strings.Builder
	b.WriteString("CONTRAT DE MISSION DE TRAVAIL TEMPORAIRE\n\n")
	line := func(label, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s : %s\n", label, v)
		}
	}
	line("Contrat de mission n°", c.ContractNumber)
	b.WriteString("\nENTREPRISE DE TRAVAIL TEMPORAIRE\n")
	line("Raison sociale", c.AgencyName)
	line("SIRET", spaced(c.AgencySIRET))
	b.WriteString("\nENTREPRISE UTILISATRICE\n")
	line("Raison sociale", c.ClientName)
	line("SIRET", spaced(c.ClientSIRET))
	b.WriteString("\nSALARIÉ INTÉRIMAIRE\n")
	line("Nom et prénom", c.WorkerName)
	line("Qualification", c.JobTitle)
	b.WriteString("\nMISSION\n")
	line("Date de début de mission", frDate(c.StartDate))
	line("Date de fin de mission", frDate(c.EndDate))
	if c.HourlyRate != nil {
		line("Taux horaire brut", strings.Replace(fmt.Sprintf("%.2f €", *c.HourlyRate), ".", ",", 1))
	}
	if c.WeeklyHours != nil {
		line("Durée hebdomadaire de travail", strings.Replace(fmt.Sprintf("%g heures", *c.WeeklyHours), ".", ",", 1))
	}
	line("Lieu de mission", c.WorkLocation)
	line("Motif du recours", reasons[c.Reason])
	b.WriteString("\nLe salarié intérimaire est mis à disposition de l'entreprise utilisatrice pour la durée de la mission.\n")
	b.WriteString("Fait en deux exemplaires.\n")
	return b.String()
}

var reasons = map[string]string{
	pipeline.ReasonTemporaryIncrease: "Accroissement temporaire d'activité",
	pipeline.ReasonReplacement:       "Remplacement d'un salarié absent",
	pipeline.ReasonSeasonal:          "Emploi à caractère saisonnier",
	pipeline.ReasonOther:             "Autre",
}

// Timesheet returns the text of a French weekly timesheet with t's values,
// one table row per entry.
func Timesheet(t pipeline.Timesheet) string {
	var b strings.Builder
	b.WriteString("RELEVÉ D'HEURES\n\n")
	fmt.Fprintf(&b, "Contrat de mission n° : %s\n", t.ContractNumber)
	fmt.Fprintf(&b, "Salarié intérimaire : %s\n", t.WorkerName)
	fmt.Fprintf(&b, "Entreprise utilisatrice : %s\n", t.ClientName)
	fmt.Fprintf(&b, "Période du %s au %s\n\n", frDate(t.PeriodStart), frDate(t.PeriodEnd))
	b.WriteString("Date          Heures\n")
	for _, e := range t.Entries {
		fmt.Fprintf(&b, "%s    %s\n", e.Date.Format("02/01/2006"), strings.Replace(fmt.Sprintf("%.2f", e.Hours), ".", ",", 1))
	}
	if t.TotalHours != nil {
		fmt.Fprintf(&b, "\nTotal des heures : %s\n", strings.Replace(fmt.Sprintf("%.2f", *t.TotalHours), ".", ",", 1))
	}
	b.WriteString("\nSignature et cachet de l'entreprise utilisatrice\n")
	return b.String()
}

func frDate(d *pipeline.Date) string {
	if d == nil {
		return ""
	}
	return d.Format("02/01/2006")
}

// spaced prints a SIRET as 3 3 3 5 digits, as forms do.
func spaced(siret string) string {
	if len(siret) != 14 {
		return siret
	}
	return siret[:3] + " " + siret[3:6] + " " + siret[6:9] + " " + siret[9:]
}

// Day returns a pointer to the Date of an ISO day; it panics on a bad one.
func Day(iso string) *pipeline.Date {
	d, err := pipeline.ParseDate(iso)
	if err != nil {
		panic(err)
	}
	return &d
}

// Num returns a pointer to f.
func Num(f float64) *float64 { return &f }

// ValidContract returns a contract that breaks no rule, numbered n.
func ValidContract(n string) pipeline.Contract {
	return pipeline.Contract{
		ContractNumber: n, AgencyName: "Intérim Plus Lyon", AgencySIRET: "73282932000074",
		ClientName: "Boulangeries Martin SAS", ClientSIRET: "55210055400013", WorkerName: "Élodie Lefèvre",
		JobTitle: "Cariste", StartDate: Day("2026-03-02"), EndDate: Day("2026-04-30"), HourlyRate: Num(13.45),
		WeeklyHours: Num(35), WorkLocation: "Villeurbanne", Reason: pipeline.ReasonTemporaryIncrease,
	}
}

// ValidTimesheet returns a week of 7.5-hour days that bills against the
// contract ValidContract(n) describes and breaks no rule.
func ValidTimesheet(n string) pipeline.Timesheet {
	start := Day("2026-03-02")
	t := pipeline.Timesheet{ContractNumber: n, WorkerName: "Élodie Lefèvre", ClientName: "Boulangeries Martin SAS",
		PeriodStart: start, PeriodEnd: Day("2026-03-08"), TotalHours: Num(37.5)}
	for i := range 5 {
		t.Entries = append(t.Entries, pipeline.Entry{Date: pipeline.Date{Time: start.AddDate(0, 0, i)}, Hours: 7.5})
	}
	return t
}
