package cassette

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/docflow/docflow/extractors/llm"
)

// Entry is one recorded answer, stored as one JSON file.
type Entry struct {
	Key
	// Backend names the provider that answered ("openai").
	Backend string `json:"backend,omitempty"`
	// Schema is the answer's schema name ("contract", "timesheet").
	Schema string `json:"schema,omitempty"`
	// Document is the start of the document's text, to tell in a review
	// what the answer is about.
	Document string `json:"document,omitempty"`
	// Content is the model's answer.
	Content      string `json:"content"`
	InputTokens  int    `json:"input_tokens"`
	OutputTokens int    `json:"output_tokens"`
	// LatencyMS is how long the call took when it was recorded.
	LatencyMS int64 `json:"latency_ms"`
}

// Response returns the recorded answer.
func (e Entry) Response() llm.Response {
	return llm.Response{Content: e.Content, InputTokens: e.InputTokens, OutputTokens: e.OutputTokens}
}

// fileName is the entry's content-addressed name in the cassette folder.
func (k Key) fileName() string {
	prefix := k.PromptID
	if prefix == "" {
		prefix = "prompt"
	}
	return prefix + "-" + k.id() + ".json"
}

// excerptLen bounds Entry.Document.
const excerptLen = 160

// excerpt returns the start of the document text of the request's last
// wrapped message, without the wrapper's preamble.
func excerpt(req llm.Request) string {
	var text string
	for _, m := range req.Messages {
		if _, after, ok := strings.Cut(normalise(m.Content), "\n<document-TAG>\n"); ok && m.Role == "user" {
			text = strings.TrimSuffix(after, "</document-TAG>")
		}
	}
	text = strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(text) > excerptLen {
		text = string([]rune(text)[:excerptLen]) + "…"
	}
	return text
}

// readEntries loads every entry of dir; a missing dir holds none.
func readEntries(dir string) ([]Entry, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("cassette: %w", err)
		}
		var e Entry
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, fmt.Errorf("cassette %s: %w", name, err)
		}
		if e.fileName() != filepath.Base(name) {
			return nil, fmt.Errorf("cassette %s: its content belongs in %s; was it edited by hand?", name, e.fileName())
		}
		out = append(out, e)
	}
	return out, nil
}

// writeEntry writes e into dir, atomically, as indented JSON.
func writeEntry(dir string, e Entry) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(e); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cassette: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("cassette: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("cassette: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cassette: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("cassette: %w", err)
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, e.fileName()))
}
