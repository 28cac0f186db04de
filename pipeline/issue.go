package pipeline

// Severity of a finding: an error blocks auto-commit, a warning asks for a look.
type Severity string

// Severities of the spec.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Issue is one validation finding, with a rule code of the spec.
type Issue struct {
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Fields   []string `json:"fields"`
	Message  string   `json:"message"`
	// MessageFR is the same message in French.
	MessageFR string `json:"message_fr,omitempty"`
}

// CodePromptInjection is the rule code for text aimed at an AI system.
const CodePromptInjection = "document.possible_prompt_injection"

// HasErrors reports whether any issue has severity error.
func HasErrors(issues []Issue) bool {
	for _, i := range issues {
		if i.Severity == SeverityError {
			return true
		}
	}
	return false
}

// Codes returns the codes of the issues, in order.
func Codes(issues []Issue) []string {
	out := make([]string, 0, len(issues))
	for _, i := range issues {
		out = append(out, i.Code)
	}
	return out
}
