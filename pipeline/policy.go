package pipeline

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
)

// Reasons a document goes to review that are not rule codes.
const (
	// ReasonUnclassified: the document is neither a contract nor a timesheet.
	ReasonUnclassified = "document.unclassified"
	// ReasonSampled: a clean document drawn for quality control.
	ReasonSampled = "review.sampled"
	// CodeLowConfidence is the rule code of a field extracted with low confidence.
	CodeLowConfidence = "document.low_confidence"
)

// Policy decides which documents a person must see. Documents with an
// error finding always go to review.
type Policy struct {
	// AutoCommitWarnings lets documents whose only findings are warnings
	// (other than low confidence) commit without review.
	AutoCommitWarnings bool `json:"auto_commit_warnings"`
	// AutoCommitLowConfidence lets documents with low-confidence fields
	// commit without review.
	AutoCommitLowConfidence bool `json:"auto_commit_low_confidence"`
	// SampleRate is the share of clean documents (0..1) sent to review
	// anyway, for quality control.
	SampleRate float64 `json:"sample_rate"`
	// SecondApproval lists rule codes whose documents need two different
	// reviewers' approvals.
	SecondApproval []string `json:"second_approval_codes"`
}

// Check returns a plain-sentence error for an invalid policy.
func (p Policy) Check() error {
	if p.SampleRate < 0 || p.SampleRate > 1 {
		return fmt.Errorf("sample_rate must be between 0 and 1, got %g", p.SampleRate)
	}
	return nil
}

// ReviewReasons returns why a person must see a document; none means it
// may commit on its own. Sampling is decided by the document's id, so a
// rerun decides the same.
func (p Policy) ReviewReasons(docID string, t DocumentType, issues []Issue) []string {
	var reasons []string
	if t != TypeContract && t != TypeTimesheet {
		reasons = append(reasons, ReasonUnclassified)
	}
	for _, i := range issues {
		switch {
		case i.Severity == SeverityError,
			i.Code == CodeLowConfidence && !p.AutoCommitLowConfidence,
			i.Code != CodeLowConfidence && !p.AutoCommitWarnings:
			if !slices.Contains(reasons, i.Code) {
				reasons = append(reasons, i.Code)
			}
		}
	}
	if len(reasons) == 0 && sampled(docID, p.SampleRate) {
		reasons = append(reasons, ReasonSampled)
	}
	return reasons
}

// ApprovalsRequired returns 2 when a reason needs a second approver, else 1.
func (p Policy) ApprovalsRequired(reasons []string) int {
	for _, r := range reasons {
		if slices.Contains(p.SecondApproval, r) {
			return 2
		}
	}
	return 1
}

// sampled draws a document for review with probability rate, from its id.
func sampled(docID string, rate float64) bool {
	if rate <= 0 {
		return false
	}
	h := fnv.New64a()
	h.Write([]byte(docID))
	return float64(h.Sum64()%10000) < rate*10000
}

// TenantSettings are what a tenant's admin may set.
type TenantSettings struct {
	// Policy replaces the service's default routing policy when set.
	Policy *Policy `json:"policy,omitempty"`
	// Rules are the rule thresholds, as the validator reads them
	// (e.g. {"min_hourly_rate": 12.5}); absent ones keep their defaults.
	Rules json.RawMessage `json:"rules,omitempty"`
	// LLMMode is when the model is asked for this tenant's documents:
	// "rules", "fallback" or "always"; empty keeps the deployment's mode.
	LLMMode string `json:"llm_mode,omitempty"`
	// MonthlyTokenBudget bounds the model's tokens (input and output) per
	// calendar month; once spent, the tenant's documents are read by the
	// rules alone until the month ends. 0 means no bound.
	MonthlyTokenBudget int64 `json:"monthly_token_budget,omitempty"`
	// Mail sets how the tenant's mail is taken in.
	Mail *MailSettings `json:"mail,omitempty"`
	// RetentionDays is how long documents are kept: past it, their files
	// and personal data are purged (the audit trail keeps who did what and
	// when). 0 keeps them.
	RetentionDays int `json:"retention_days,omitempty"`
}

// MailSettings sets how a tenant's mail is taken in.
type MailSettings struct {
	// AllowedSenders, when not empty, lists the senders whose mail is
	// taken: addresses (paie@client.fr) or whole domains (@client.fr).
	// Mail from others is refused (IMAP: parked in the failed folder with
	// the reason; SMTP: answered 550). The From header is easy to forge:
	// this filters mistakes and noise, it does not authenticate.
	AllowedSenders []string `json:"allowed_senders,omitempty"`
	// ReplyWhenUnusable answers the sender of a message that carried
	// nothing docflow could use (no contract or timesheet), saying why.
	ReplyWhenUnusable bool `json:"reply_when_unusable,omitempty"`
}

// AllowsSender reports whether mail from addr is taken (always, when the
// tenant has no allow-list).
func (s TenantSettings) AllowsSender(addr string) bool {
	if s.Mail == nil || len(s.Mail.AllowedSenders) == 0 {
		return true
	}
	addr = strings.ToLower(strings.TrimSpace(addr))
	_, domain, ok := strings.Cut(addr, "@")
	if !ok || domain == "" {
		return false
	}
	for _, a := range s.Mail.AllowedSenders {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == addr || strings.TrimPrefix(a, "@") == domain && !strings.Contains(strings.TrimPrefix(a, "@"), "@") {
			return true
		}
	}
	return false
}

// checkSenders tells whether every entry is an address or a domain.
func checkSenders(list []string) error {
	for _, a := range list {
		a = strings.TrimSpace(a)
		local, domain, hasAt := strings.Cut(a, "@")
		if !hasAt {
			domain = local
		}
		if domain == "" || !strings.Contains(domain, ".") || strings.ContainsAny(a, " \t,;<>") || strings.Contains(domain, "@") {
			return fmt.Errorf("%q is not an address (name@domain) or a domain (@domain)", a)
		}
	}
	return nil
}

// PolicyOr returns the tenant's policy, or def when it has none.
func (s TenantSettings) PolicyOr(def Policy) Policy {
	if s.Policy != nil {
		return *s.Policy
	}
	return def
}
