// Package classify tells contracts (contrats de mission), timesheets
// (relevés d'heures) and other documents apart by weighted families of
// French and English keywords and by the shape of the text (rows of days
// with hours).
package classify

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/docflow/docflow/pipeline"
	"golang.org/x/text/unicode/norm"
)

// Classifier is a keyword classifier. The zero value is ready to use.
type Classifier struct{}

var _ pipeline.Classifier = Classifier{}

// New returns a Classifier.
func New() Classifier { return Classifier{} }

// family is a set of synonyms that counts once, with a weight.
type family struct {
	weight float64
	words  []string
}

// Keyword families, written lower case without accents.
var (
	contractFamilies = []family{
		{3, []string{"contrat de mission", "assignment contract", "contrat de travail temporaire", "temporary assignment contract", "mise a disposition"}},
		{2, []string{"motif du recours", "motif de recours", "code motif", "cas de recours", "reason for assignment", "reason for recourse", "reason for the assignment", "motif :", "reason:"}},
		{2, []string{"taux horaire", "hourly rate", "salaire de reference", "remuneration", "hourly wage", "pay rate"}},
		{1.5, []string{"periode d'essai", "trial period", "probation", "periode d essai"}},
		{1.5, []string{"date de debut", "debutera le", "start date", "date debut", "prendra fin", "end date", "periode de mission"}},
		{1, []string{"duree hebdomadaire", "weekly hours", "horaire hebdo", "working hours per week", "duree du travail"}},
		{1, []string{"qualification", "job title", "intitule du poste", "poste occupe"}},
		{1, []string{"lieu de mission", "place of work", "work location", "lieu de travail", "place of assignment"}},
		{1, []string{"indemnite de fin de mission", "end-of-assignment", "end of assignment allowance", "conges payes", "paid leave"}},
		{1, []string{"entreprise de travail temporaire", "staffing agency", "temporary work agency", "agence d'emploi"}},
	}
	timesheetFamilies = []family{
		{3, []string{"releve d'heures", "releve des heures", "releve hebdomadaire", "releve mensuel", "timesheet", "time sheet", "attestation d'heures", "heures effectuees", "hours worked", "heures travaillees", "export des heures", "feuille de temps", "feuille d'heures", "hours record"}},
		{2, []string{"total des heures", "total hours", "soit un total", "total heures", "total semaine", "total de la semaine", "weekly total", "total :", "total:", "total\t", "total |"}},
		{1, []string{"pause", "break (min)", "break", "entree", "sortie", "badge"}},
		{1, []string{"semaine du", "week of", "week ending", "periode du", "period:", "period from", "for the period"}},
	}
	otherFamilies = []family{
		{3, []string{"facture", "invoice"}},
		{2, []string{"montant ht", "total ht", "total ttc", "tva", "vat", "net a payer", "amount due", "iban"}},
		{2, []string{"bill to", "billing address", "adresse de facturation", "subtotal", "sous-total", "conditions de paiement", "payment terms"}},
		{3, []string{"bulletin de paie", "bulletin de salaire", "fiche de paie", "payslip", "pay slip", "payroll statement", "attestation employeur", "attestation d'emploi", "certificat de travail", "ordre de mission", "mission order", "note de frais", "expense report"}},
		{2, []string{"net imposable", "cotisations salariales", "net pay", "gross pay", "deductions", "cumul brut", "frais de deplacement", "travel expenses", "hebergement", "accommodation"}},
		{2, []string{"livret d'accueil", "consignes de securite", "welcome booklet", "safety instructions", "reglement interieur"}},
	}
)

var (
	dayRowDate  = regexp.MustCompile(`\b(\d{1,2}[/.]\d{1,2}([/.]\d{2,4})?|\d{4}-\d{2}-\d{2}|\d{1,2}(er)? (janv|fevr|mars|avr|mai|juin|juil|aout|sept|oct|nov|dec|jan|feb|mar|apr|may|jun|jul|aug|sep)[a-z]*\.?( \d{4})?|(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{1,2})\b`)
	dayRowHours = regexp.MustCompile(`\b\d{1,2}[:h]\d{2}\s*-\s*\d{1,2}[:h]\d{2}\b|\b\d{1,2}\s?h\s?\d{0,2}\b|\b\d{1,2}[.,]\d{1,2}\s*(h|hours?|heures?)?\s*$|\b\d{1,2}[.,]\d{2}\b|:\s*\d{1,2}(\s?h|\s*hours?)\b`)
	weekday     = regexp.MustCompile(`\b(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun|lun|mar|mer|jeu|ven|sam|dim)\b`)
)

// Scores are the weights of evidence found in a text.
type Scores struct {
	Contract, Timesheet, Other float64
	// DayRows counts lines holding a day and an amount of hours.
	DayRows int
}

// Score weighs the keyword families and the day rows of text.
func Score(text string) Scores {
	f := Fold(text)
	s := Scores{
		Contract:  score(f, contractFamilies),
		Timesheet: score(f, timesheetFamilies),
		Other:     score(f, otherFamilies),
		DayRows:   dayRows(f),
	}
	switch {
	case s.DayRows >= 4:
		s.Timesheet += 4
	case s.DayRows >= 2:
		s.Timesheet += 3
	case s.DayRows == 1:
		s.Timesheet += 1.5
	}
	return s
}

// Classify scores the text against the contract and timesheet families and
// returns the best type with a score 0..1, or other when neither is clear.
func (Classifier) Classify(c pipeline.Content) (pipeline.DocumentType, float64) {
	s := Score(c.Text)
	best, bestType, second := s.Contract, pipeline.TypeContract, s.Timesheet
	if s.Timesheet > s.Contract {
		best, bestType, second = s.Timesheet, pipeline.TypeTimesheet, s.Contract
	}
	if best < 4 || s.Other >= best {
		return pipeline.TypeOther, min(1, 0.5+s.Other/10)
	}
	margin := (best - second) / best
	strength := min(1, best/10)
	return bestType, round2(0.4 + 0.6*strength*margin)
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

// score sums the weights of the families found in text.
func score(text string, fams []family) float64 {
	s := 0.0
	for _, f := range fams {
		for _, w := range f.words {
			if strings.Contains(text, w) {
				s += f.weight
				break
			}
		}
	}
	return s
}

// dayRows counts lines that hold a day (a date, or a weekday) and an amount
// of hours: the rows of a timesheet.
func dayRows(text string) int {
	n := 0
	for _, l := range strings.Split(text, "\n") {
		if len(l) > 200 {
			continue
		}
		hasDay := dayRowDate.MatchString(l) || weekday.MatchString(l)
		if hasDay && dayRowHours.MatchString(l) {
			n++
		}
	}
	return n
}

// Fold lower-cases s and removes its accents, and turns typographic
// apostrophes into plain ones, for matching keywords.
func Fold(s string) string {
	s = norm.NFD.String(strings.ToLower(s))
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == '’' || r == 'ʼ' || r == '`':
			b.WriteByte('\'')
		case r == '\u00a0' || r == '\u202f':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
