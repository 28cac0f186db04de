package score

// Metrics is what Score finds: field accuracy in several slices, rule codes,
// refusals, classification, confidence calibration, cost, and the lists of
// mistakes. Every map is keyed by a plain name and encodes with sorted keys,
// so the JSON form is stable.
type Metrics struct {
	// Lines counts the manifest lines scored.
	Lines int `json:"lines"`
	// Fields is the accuracy over every expected field of every contract,
	// timesheet and other document, e-mail attachments included.
	Fields Accuracy `json:"fields"`
	// ByField is keyed by document type and field: "contract.hourly_rate".
	ByField map[string]Accuracy `json:"by_field"`
	// ByType is keyed by the expected document type.
	ByType map[string]Accuracy `json:"by_type"`
	// ByFormat is keyed by the line's first format tag (pdf, scan, docx,
	// xlsx, csv, txt, eml), else "?" (the file's extension is not read, as
	// in score-extract). An e-mail's attachments take the e-mail's tags, so
	// their format is "eml".
	ByFormat map[string]Accuracy `json:"by_format"`
	// ByLayout is keyed by the line's first tag holding "layout", else "?".
	ByLayout map[string]Accuracy `json:"by_layout"`
	// ByLanguage is keyed by the line's first tag "fr" or "en", else "?".
	ByLanguage map[string]Accuracy `json:"by_language"`
	// ByTag is keyed by every tag of the line.
	ByTag map[string]Accuracy `json:"by_tag"`

	Rules          Rules          `json:"rules"`
	Refusals       Refusals       `json:"refusals"`
	Classification Classification `json:"classification"`
	Calibration    Calibration    `json:"calibration"`
	Cost           Cost           `json:"cost"`

	// WrongFields lists every field that was wrong, in manifest order.
	WrongFields []WrongField `json:"wrong_fields"`
	// Missing lists the lines (other than refused ones) that had no result;
	// their fields count as wrong. A refused line without a result counts
	// as a wrong refusal instead.
	Missing []string `json:"missing"`
	// Unused lists results that no line used: files not in the manifest, or
	// earlier results for a file that had more results than manifest lines
	// (its lines take its last results).
	Unused []string `json:"unused"`
}

// Accuracy counts right answers out of a total. Rate is Correct/Total, and
// 1 when Total is 0, as score-extract counts an empty slice as 100%.
type Accuracy struct {
	Correct int     `json:"correct"`
	Total   int     `json:"total"`
	Rate    float64 `json:"rate"`
}

// Rules counts rule codes: a true positive is an expected code that fired
// (at any severity), a false negative an expected code that did not, and a
// false positive a code of severity error that fired unexpected. Warnings
// that fire unexpected are not counted.
type Rules struct {
	CodeStats
	// ByCode is keyed by rule code.
	ByCode map[string]CodeStats `json:"by_code"`
	// Mistakes lists every missed or unexpected code, in manifest order.
	Mistakes []RuleMistake `json:"mistakes"`
}

// CodeStats counts one rule code, or all of them. Precision and Recall are
// 1 when their denominator is 0.
type CodeStats struct {
	TruePositives  int     `json:"tp"`
	FalsePositives int     `json:"fp"`
	FalseNegatives int     `json:"fn"`
	Precision      float64 `json:"precision"`
	Recall         float64 `json:"recall"`
}

// Expected is how many times the code was expected.
func (c CodeStats) Expected() int { return c.TruePositives + c.FalseNegatives }

// RuleMistake is a code that was expected and did not fire (Kind "missed")
// or that fired with severity error and was not expected ("unexpected").
type RuleMistake struct {
	File string `json:"file"`
	Name string `json:"name,omitempty"`
	Code string `json:"code"`
	Kind string `json:"kind"`
}

// The kinds of a RuleMistake.
const (
	Missed     = "missed"
	Unexpected = "unexpected"
)

// Refusals counts the inputs that had to be refused (files and e-mail
// attachments) and how many were refused with an accepted code.
type Refusals struct {
	Accuracy
	Wrong []WrongRefusal `json:"wrong"`
}

// WrongRefusal is a refused input that got another refusal code, or none.
type WrongRefusal struct {
	File string `json:"file"`
	Name string `json:"name,omitempty"`
	Want string `json:"want"`
	Got  string `json:"got"`
}

// Classification counts documents whose document_type was right. E-mails
// themselves are not counted, their attachments are.
type Classification struct {
	Accuracy
	// ByType is keyed by the expected type.
	ByType map[string]Accuracy `json:"by_type"`
	// Confusion counts expected type → type got ("none" when there was no
	// result or no type) → documents.
	Confusion map[string]map[string]int `json:"confusion"`
}

// WrongField is one field whose value was wrong.
type WrongField struct {
	File         string `json:"file"`
	Name         string `json:"name,omitempty"`
	DocumentType string `json:"document_type"`
	Field        string `json:"field"`
	Expected     any    `json:"expected"`
	Got          any    `json:"got"`
	// Confidence is the extractor's confidence in Got, if it gave one.
	Confidence *float64 `json:"confidence,omitempty"`
}
