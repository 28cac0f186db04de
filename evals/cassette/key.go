package cassette

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"
	"sync"

	"github.com/docflow/docflow/extractors/llm"
	"github.com/docflow/docflow/prompts"
)

// Key identifies one question to a model: the prompt, the answer's
// schema, the model and the document. Two requests with the same Key get
// the same recorded answer.
type Key struct {
	// PromptID names the prompt of the system message
	// ("extract_timesheet.v1"); empty when it is none of the embedded ones.
	PromptID string `json:"prompt_id,omitempty"`
	// PromptHash is the prompt's hash as package prompts computes it (or
	// the hash of the system text when PromptID is empty).
	PromptHash string `json:"prompt_hash"`
	// SchemaHash is the hash of the answer's JSON schema.
	SchemaHash string `json:"schema_hash"`
	Model      string `json:"model"`
	// DocumentHash is the hash of every message after the system prompt
	// (the wrapped document, its page images, any repair turn), with the
	// random tag of prompts.Wrap taken out, so that it is stable.
	DocumentHash string `json:"document_hash"`
}

// KeyOf derives the Key of a request.
func KeyOf(req llm.Request) Key {
	k := Key{Model: req.Model, SchemaHash: hashOf(schemaJSON(req), req.SchemaName)}
	var rest []llm.Message
	for i, m := range req.Messages {
		if i == 0 && m.Role == "system" {
			k.PromptID, k.PromptHash = identify(m.Content)
			continue
		}
		rest = append(rest, m)
	}
	if k.PromptHash == "" {
		k.PromptID, k.PromptHash = identify("")
	}
	h := sha256.New()
	for _, m := range rest {
		for _, part := range append([]string{m.Role, normalise(m.Content)}, m.Images...) {
			h.Write([]byte(part))
			h.Write([]byte{0})
		}
		h.Write([]byte{1})
	}
	k.DocumentHash = hex.EncodeToString(h.Sum(nil))[:32]
	return k
}

// short returns the first characters of a hash, for messages.
func short(h string) string { return h[:min(len(h), 12)] }

// id returns the hash that names the key's file.
func (k Key) id() string {
	return hashOf(k.PromptHash, k.SchemaHash, k.Model, k.DocumentHash)[:24]
}

// wrapTag matches the random tag of prompts.Wrap's markers.
var wrapTag = regexp.MustCompile(`document-[0-9a-f]{16}\b`)

// normalise replaces the random tags of prompts.Wrap with a fixed one.
func normalise(s string) string { return wrapTag.ReplaceAllString(s, "document-TAG") }

func schemaJSON(req llm.Request) string {
	b, _ := json.Marshal(req.Schema) // maps marshal with sorted keys
	return string(b)
}

func hashOf(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

var (
	knownOnce sync.Once
	known     map[string]prompts.Prompt // by system text
)

// identify returns the id and hash of the embedded prompt whose text is
// system, or no id and the text's own hash.
func identify(system string) (id, hash string) {
	knownOnce.Do(func() {
		known = map[string]prompts.Prompt{}
		for _, id := range prompts.IDs() {
			if p, err := prompts.Get(id); err == nil {
				known[p.System] = p
			}
		}
	})
	if p, ok := known[strings.TrimSpace(system)]; ok {
		return p.ID, p.Hash
	}
	return "", hashOf(system)[:16]
}
