package validate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/docflow/docflow/pipeline"
)

// label names a field in plain English and French for messages.
type label struct{ en, fr string }

// labels holds the plain names of the spec's fields.
var labels = map[string]label{
	"contract_number": {"contract number", "numéro de contrat"},
	"agency_name":     {"agency name", "nom de l'agence"},
	"agency_siret":    {"agency SIRET", "SIRET de l'agence"},
	"client_name":     {"client name", "nom de l'entreprise utilisatrice"},
	"client_siret":    {"client SIRET", "SIRET de l'entreprise utilisatrice"},
	"worker_name":     {"worker name", "nom de l'intérimaire"},
	"job_title":       {"job title", "poste"},
	"start_date":      {"start date", "date de début"},
	"end_date":        {"end date", "date de fin"},
	"hourly_rate":     {"hourly rate", "taux horaire"},
	"weekly_hours":    {"weekly hours", "durée hebdomadaire"},
	"work_location":   {"place of work", "lieu de mission"},
	"reason":          {"reason for the assignment", "motif de recours"},
	"period_start":    {"period start", "début de période"},
	"period_end":      {"period end", "fin de période"},
	"entries":         {"daily entries", "heures par jour"},
	"total_hours":     {"total hours", "total des heures"},
}

// labelsOf returns the English and French names of fields.
func labelsOf(fields []string) (en, fr []string) {
	for _, f := range fields {
		l := labelOf(f)
		en, fr = append(en, l.en), append(fr, l.fr)
	}
	return en, fr
}

// labelOf returns the plain names of a field, or its spec name twice.
func labelOf(field string) label {
	if l, ok := labels[field]; ok {
		return l
	}
	return label{field, field}
}

// newIssue builds an issue of a spec code with its severity.
func newIssue(code string, fields []string, en, fr string) pipeline.Issue {
	sev, _ := Severity(code)
	if fields == nil {
		fields = []string{}
	}
	return pipeline.Issue{Code: code, Severity: sev, Fields: fields, Message: en, MessageFR: fr}
}

// money formats an amount with two decimals: "11.50" in English, "11,50" in French.
func money(f float64) (en, fr string) {
	en = fmt.Sprintf("%.2f", f)
	return en, strings.Replace(en, ".", ",", 1)
}

// hours formats hours without trailing zeros: "7.5", "7,5", "48".
func hours(f float64) (en, fr string) {
	en = strconv.FormatFloat(pipeline.Round2(f), 'f', -1, 64)
	return en, strings.Replace(en, ".", ",", 1)
}

// day formats a date as ISO 8601 in English and as 02/01/2006 in French.
func day(d pipeline.Date) (en, fr string) {
	return d.String(), d.Format("02/01/2006")
}

// join lists items as "a, b and c" with the given last conjunction.
func join(items []string, and string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + and + " " + items[len(items)-1]
}
