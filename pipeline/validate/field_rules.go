package validate

import (
	"fmt"
	"strings"

	"github.com/docflow/docflow/pipeline"
)

// missingFields returns the names, in spec order, of the required fields
// that are absent: an empty or blank string, a nil value, an empty list.
func missingFields(f pipeline.Fields, required []string) []string {
	m := f.Map()
	var out []string
	for _, name := range required {
		if !present(m[name]) {
			out = append(out, name)
		}
	}
	return out
}

// present reports whether a value of Fields.Map carries something.
func present(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case string:
		return strings.TrimSpace(v) != ""
	case []any:
		return len(v) > 0
	}
	return true
}

// missingIssue reports all missing fields of a document in one issue.
// whoEN is "The contract"; ofFR is "du contrat".
func missingIssue(code string, missing []string, whoEN, ofFR string) pipeline.Issue {
	en, fr := labelsOf(missing)
	if len(missing) == 1 {
		return newIssue(code, missing,
			fmt.Sprintf("%s is missing a required field: %s.", whoEN, en[0]),
			fmt.Sprintf("Champ obligatoire absent %s : %s.", ofFR, fr[0]))
	}
	return newIssue(code, missing,
		fmt.Sprintf("%s is missing %d required fields: %s.", whoEN, len(missing), join(en, "and")),
		fmt.Sprintf("%d champs obligatoires absents %s : %s.", len(missing), ofFR, join(fr, "et")))
}

// lowConfidenceIssues reports the required fields, present in f, whose
// extraction confidence is below the threshold. A field with no confidence
// is not low-confidence, and a missing field is left to the missing_field
// rule rather than reported twice.
func (v *Validator) lowConfidenceIssues(f pipeline.Fields, required []string) []pipeline.Issue {
	if len(f.Confidence) == 0 {
		return nil
	}
	m := f.Map()
	var fields, en, fr []string
	for _, name := range required {
		c, ok := f.Confidence[name]
		if !ok || c >= v.cfg.LowConfidence || !present(m[name]) {
			continue
		}
		l := labelOf(name)
		cEN, cFR := money(c)
		fields = append(fields, name)
		en = append(en, fmt.Sprintf("%s (%s)", l.en, cEN))
		fr = append(fr, fmt.Sprintf("%s (%s)", l.fr, cFR))
	}
	if len(fields) == 0 {
		return nil
	}
	tEN, tFR := money(v.cfg.LowConfidence)
	return []pipeline.Issue{newIssue(CodeLowConfidence, fields,
		fmt.Sprintf("Extraction confidence is below %s for %s; check against the document.", tEN, join(en, "and")),
		fmt.Sprintf("La confiance de l'extraction est inférieure à %s pour : %s ; vérifiez sur le document.", tFR, join(fr, "et")))}
}
