package main

import (
	"fmt"
	"strings"

	"github.com/docflow/docflow/pipeline"
)

// addresses are the streets and postcodes printed before a city.
var addresses = map[string]string{
	"Villeurbanne": "14 rue Léon Blum, 69100",
	"Carquefou":    "ZI de la Lande, 3 rue des Entrepreneurs, 44470",
	"Concarneau":   "8 quai du Port, 29900",
	"Vénissieux":   "27 avenue de la République, 69200",
	"Le Havre":     "Quai de Southampton, 76600",
	"Marseille":    "8 avenue du Port, 13002",
	"Colomiers":    "5 chemin de la Crabe, 31770",
	"Lyon":         "112 cours Gambetta, 69007",
	"Bron":         "9 rue Paul Pic, 69500",
	"Saumur":       "Route de Montsoreau, 49400",
}

var frReasons = map[string]string{
	pipeline.ReasonTemporaryIncrease: "accroissement temporaire d'activité",
	pipeline.ReasonReplacement:       "remplacement d'un salarié absent",
	pipeline.ReasonSeasonal:          "emploi à caractère saisonnier",
	pipeline.ReasonOther:             "autre motif prévu par l'article L. 1251-6 du Code du travail",
}

// contractProseFR is a French contract written as articles.
func proseContractFR(c pipeline.Contract, title string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\nCONTRAT DE MISSION\nN° %s\n\nENTRE LES SOUSSIGNÉS :\n", strings.ToUpper(c.AgencyName), c.ContractNumber)
	fmt.Fprintf(&b, "La société %s, entreprise de travail temporaire, immatriculée sous le\nnuméro SIRET %s, ci-après « l'ETT »,\n", c.AgencyName, spaced(c.AgencySIRET))
	fmt.Fprintf(&b, "ET :\n%s %s, ci-après « le Salarié ».\n\n", title, c.WorkerName)
	b.WriteString("ARTICLE 1 – ENTREPRISE UTILISATRICE\n")
	fmt.Fprintf(&b, "Le Salarié est mis à la disposition de la société %s, SIRET %s,\nci-après « l'Entreprise utilisatrice ».\n\n", c.ClientName, spaced(c.ClientSIRET))
	b.WriteString("ARTICLE 2 – MOTIF DE RECOURS\n")
	fmt.Fprintf(&b, "Le présent contrat est conclu pour le motif suivant : %s.\n\n", frReasons[c.Reason])
	b.WriteString("ARTICLE 3 – DURÉE DE LA MISSION\n")
	fmt.Fprintf(&b, "La mission débutera le %s et prendra fin le %s.\n\n", frLong(c.StartDate.Time), frLong(c.EndDate.Time))
	b.WriteString("ARTICLE 4 – POSTE ET LIEU DE TRAVAIL\n")
	if c.JobTitle != "" {
		fmt.Fprintf(&b, "Le Salarié occupera le poste de %s. ", c.JobTitle)
	}
	fmt.Fprintf(&b, "La mission s'exécutera dans l'établissement\nsitué %s %s.\n\n", addresses[c.WorkLocation], c.WorkLocation)
	b.WriteString("ARTICLE 5 – DURÉE DU TRAVAIL ET RÉMUNÉRATION\n")
	fmt.Fprintf(&b, "La durée hebdomadaire de travail est fixée à %s heures.\n", frNum(*c.WeeklyHours))
	fmt.Fprintf(&b, "Le Salarié percevra un salaire horaire brut de %s euros.\n\n", frDec(*c.HourlyRate))
	b.WriteString("ARTICLE 6 – DISPOSITIONS GÉNÉRALES\n")
	b.WriteString("Le Salarié bénéficie des équipements collectifs de l'Entreprise utilisatrice.\nLa période d'essai est fixée conformément à l'article L. 1251-14 du Code du travail.\n\n")
	fmt.Fprintf(&b, "Fait en deux exemplaires, à %s.\nPour l'ETT                                Le Salarié\n", c.WorkLocation)
	return b.String()
}

// contractRowsFR is a French contract as the rows of a two-column table.
func contractRowsFR(c pipeline.Contract) [][]string {
	rows := [][]string{
		{"Rubrique", "Informations"},
		{"N° de contrat", c.ContractNumber},
		{"Entreprise de travail temporaire", c.AgencyName},
		{"SIRET de l'ETT", c.AgencySIRET},
		{"Entreprise utilisatrice", c.ClientName},
		{"SIRET de l'entreprise utilisatrice", c.ClientSIRET},
		{"Salarié intérimaire", c.WorkerName},
	}
	if c.JobTitle != "" {
		rows = append(rows, []string{"Qualification", c.JobTitle})
	}
	return append(rows,
		[]string{"Période de mission", fmt.Sprintf("Du %s au %s", frLong(c.StartDate.Time), frLong(c.EndDate.Time))},
		[]string{"Salaire horaire brut", frDec(*c.HourlyRate) + " €"},
		[]string{"Durée hebdomadaire", frNum(*c.WeeklyHours) + " heures"},
		[]string{"Lieu de mission", addresses[c.WorkLocation] + " " + c.WorkLocation},
		[]string{"Motif du recours", upperFirst(frReasons[c.Reason])},
	)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToUpper(string(r[0])) + string(r[1:])
}

// timesheetHeadFR is the head of a French timesheet.
func timesheetHeadFR(t pipeline.Timesheet, number string) string {
	return fmt.Sprintf("RELEVÉ D'HEURES HEBDOMADAIRE\n\nEntreprise utilisatrice : %s\nSalarié intérimaire : %s\nContrat de mission n° %s\nSemaine du %s au %s\n\n",
		t.ClientName, t.WorkerName, number, frShort(t.PeriodStart.Time), frShort(t.PeriodEnd.Time))
}

// timesheetGridRowsFR are the rows of a French day-by-day table: Jour,
// Date, Début, Fin, Pause, Heures; days off say "repos".
func timesheetGridRowsFR(t pipeline.Timesheet) [][]string {
	rows := [][]string{{"Jour", "Date", "Début", "Fin", "Pause", "Heures"}}
	for _, d := range allDays(t) {
		h := hoursOn(t.Entries, d)
		day := upperFirst(frWeekdays[d.Weekday()])
		if h == 0 {
			rows = append(rows, []string{day, frShort(d), "", "", "", "repos"})
			continue
		}
		s, e, p := clock(h)
		rows = append(rows, []string{day, frShort(d), s, e, frHours(float64(p) / 60), frHours(h)})
	}
	return rows
}

// timesheetGridFR is a French timesheet with a day-by-day table, as text.
func timesheetGridFR(t pipeline.Timesheet) string {
	var b strings.Builder
	b.WriteString(timesheetHeadFR(t, t.ContractNumber))
	for _, r := range timesheetGridRowsFR(t) {
		fmt.Fprintf(&b, "%-10s %-12s %-7s %-7s %-6s %s\n", r[0], r[1], r[2], r[3], r[4], r[5])
	}
	if t.TotalHours != nil {
		fmt.Fprintf(&b, "\nTotal de la semaine : %s\n", frHours(*t.TotalHours))
	}
	b.WriteString("\nCachet et signature de l'entreprise utilisatrice          Signature du salarié\n")
	return b.String()
}

// attestationFR is a French attestation of hours in prose, as clients
// write them in an e-mail or a letter.
func attestationFR(t pipeline.Timesheet, signer, title string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Je soussigné(e), %s, %s de la société %s, atteste que\n", signer, title, t.ClientName)
	fmt.Fprintf(&b, "%s, intérimaire mis(e) à disposition dans le cadre du contrat de mission\nn° %s, a effectué les heures suivantes au cours de la période du %s\nau %s :\n\n",
		t.WorkerName, t.ContractNumber, frLong(t.PeriodStart.Time), frLong(t.PeriodEnd.Time))
	for _, e := range t.Entries {
		fmt.Fprintf(&b, "  - %s %s : %s\n", frWeekdays[e.Date.Weekday()], frLong(e.Date.Time), strings.TrimSpace(strings.Replace(frHours(e.Hours), "h", " h ", 1)))
	}
	fmt.Fprintf(&b, "\nSoit un total de %s heures pour la période considérée.\n", frNum(*t.TotalHours))
	return b.String()
}

// badgeCSVFR is a French time-clock export: semicolons, raw punches,
// French decimals, a total line.
func badgeCSVFR(t pipeline.Timesheet, id string) string {
	first, last, _ := strings.Cut(t.WorkerName, " ")
	var b strings.Builder
	fmt.Fprintf(&b, "Entreprise utilisatrice;%s\nPériode du;%s;au;%s\n", t.ClientName, frShort(t.PeriodStart.Time), frShort(t.PeriodEnd.Time))
	b.WriteString("Matricule;Nom;Prénom;N° contrat;Date;Entrée;Sortie;Pause (min);Heures\n")
	for _, e := range t.Entries {
		s, en, p := clock(e.Hours)
		fmt.Fprintf(&b, "%s;%s;%s;%s;%s;%s;%s;%d;%s\n", id, strings.ToUpper(last), first, t.ContractNumber, frShort(e.Date.Time), s, en, p, frDec(e.Hours))
	}
	fmt.Fprintf(&b, ";;;;;;;Total;%s\n", frDec(*t.TotalHours))
	return b.String()
}

// sheetFR is a French timesheet workbook: one row per day of the period,
// Excel dates and times, decimal hours, a SUM total.
func sheetFR(t pipeline.Timesheet) [][]cell {
	rows := [][]cell{
		{str("Relevé d'heures")},
		{str("Entreprise utilisatrice"), str(t.ClientName)},
		{str("Intérimaire"), str(t.WorkerName)},
		{str("N° de contrat"), str(t.ContractNumber)},
		{str("Période du"), xlDate(t.PeriodStart.Time), str("au"), xlDate(t.PeriodEnd.Time)},
		{},
		{str("Date"), str("Jour"), str("Début"), str("Fin"), str("Pause (min)"), str("Heures")},
	}
	return append(rows, dayRows(t, frWeekdays)...)
}

// dayRows are a workbook's day rows and total row; row 8 is the first.
func dayRows(t pipeline.Timesheet, weekdays []string) [][]cell {
	var rows [][]cell
	for _, d := range allDays(t) {
		h := hoursOn(t.Entries, d)
		row := []cell{xlDate(d), str(weekdays[d.Weekday()])}
		if h > 0 {
			s, e, p := clock(h)
			row = append(row, xlTime(s), xlTime(e), dec(float64(p)))
		} else {
			row = append(row, cell{}, cell{}, cell{})
		}
		rows = append(rows, append(row, dec(h)))
	}
	last := 7 + len(rows)
	label := "Total"
	if t.TotalHours == nil {
		return rows
	}
	return append(rows, []cell{str(label), {}, {}, {}, {}, sum(*t.TotalHours, fmt.Sprintf("SUM(F8:F%d)", last))})
}
