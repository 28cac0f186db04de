package cassette

import (
	"errors"
	"fmt"
)

// Errors of Replay. A *MissingError matches ErrMissing, and ErrStale too
// when an answer for the same document and model was recorded with
// another prompt or schema.
var (
	ErrMissing = errors.New("no cassette")
	ErrStale   = errors.New("stale cassette")
)

// MissingError is a request that Replay has no answer for.
type MissingError struct {
	Key Key
	Dir string
	// Recorded is the entry for the same model and document recorded with
	// another prompt or schema, when there is one: the cassettes are stale.
	Recorded *Key
}

// Error says which request has no answer, and whether the cassettes are
// stale (the prompt or schema changed) or were never recorded.
func (e *MissingError) Error() string {
	k := e.Key
	what := fmt.Sprintf("prompt %s hash %s model %s document %s", promptName(k, e.Recorded), short(k.PromptHash), k.Model, short(k.DocumentHash))
	r := e.Recorded
	switch {
	case r == nil:
		return fmt.Sprintf("no cassette for %s in %s: this request was never recorded (a new document or model, or a changed reader or extractor); record it with --record", what, e.Dir)
	case r.PromptHash != k.PromptHash:
		return fmt.Sprintf("stale cassette for %s in %s: it was recorded with prompt hash %s; the prompt changed since the cassettes were recorded; re-record with --record", what, e.Dir, short(r.PromptHash))
	default:
		return fmt.Sprintf("stale cassette for %s in %s: it was recorded with another answer schema (hash %s, now %s); re-record with --record", what, e.Dir, short(r.SchemaHash), short(k.SchemaHash))
	}
}

// Is makes errors.Is match ErrMissing, and ErrStale for a stale cassette.
func (e *MissingError) Is(target error) bool {
	return target == ErrMissing || target == ErrStale && e.Recorded != nil
}

// promptName names the prompt of k, or of the recorded entry when the
// current system text is none of the embedded prompts.
func promptName(k Key, recorded *Key) string {
	switch {
	case k.PromptID != "":
		return k.PromptID
	case recorded != nil && recorded.PromptID != "":
		return recorded.PromptID + " (changed)"
	}
	return "(unknown)"
}
