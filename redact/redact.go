// Package redact keeps personal data and secrets out of the logs: a
// log/slog handler that drops the values of sensitive attributes and
// scrubs e-mail addresses and quoted text (file names, values quoted in
// error messages) from every other string.
package redact

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
)

// Redacted replaces a value that must not be logged.
const Redacted = "[redacted]"

// sensitive are attribute keys (lower case) whose values are never logged:
// secrets, and what a document or a person says.
var sensitive = map[string]bool{
	"password": true, "secret": true, "token": true, "api_key": true, "apikey": true, "authorization": true,
	"cookie": true, "key": true, "master_key": true, "text": true, "content": true, "body": true, "fields": true,
	"value": true, "values": true, "subject": true, "from": true, "to": true, "sender": true, "recipient": true,
	"email": true, "name": true, "worker": true, "worker_name": true, "file": true, "file_name": true,
	"filename": true, "message_id": true, "prompt": true, "answer": true,
}

var (
	emailRE = regexp.MustCompile(`[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}.\-]+\.[\p{L}]{2,}`)
	// quotedRE finds "..." segments, as %q writes them.
	quotedRE = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	// safeRE are quoted values that identify without saying anything: ids,
	// hashes, codes.
	safeRE = regexp.MustCompile(`^"(?:[0-9a-fA-F-]{8,}|[a-z_.]+|[A-Za-z0-9_./:-]{0,40}[0-9a-f]{16,})"$`)
	// fileRE are file names, which often name a person.
	fileRE = regexp.MustCompile(`(?i)\.[a-z0-9]{2,5}"$`)
)

// Scrub removes e-mail addresses and quoted text from s.
func Scrub(s string) string {
	s = emailRE.ReplaceAllString(s, "[email]")
	return quotedRE.ReplaceAllStringFunc(s, func(q string) string {
		if safeRE.MatchString(q) && !fileRE.MatchString(q) {
			return q
		}
		return `"…"`
	})
}

// Handler wraps another slog.Handler.
type Handler struct {
	next slog.Handler
}

// NewHandler returns a handler that redacts before next.
func NewHandler(next slog.Handler) *Handler { return &Handler{next: next} }

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// Handle implements slog.Handler.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, Scrub(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = attr(a)
	}
	return &Handler{next: h.next.WithAttrs(clean)}
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler { return &Handler{next: h.next.WithGroup(name)} }

func attr(a slog.Attr) slog.Attr {
	if sensitive[strings.ToLower(a.Key)] {
		return slog.String(a.Key, Redacted)
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Scrub(v.String()))
	case slog.KindGroup:
		g := v.Group()
		clean := make([]any, len(g))
		for i, ga := range g {
			clean[i] = attr(ga)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, Scrub(err.Error()))
		}
		if s, ok := v.Any().(interface{ String() string }); ok {
			return slog.String(a.Key, Scrub(s.String()))
		}
		// Structures may carry anything: only their type is logged.
		return slog.String(a.Key, Redacted)
	}
	return slog.Attr{Key: a.Key, Value: v}
}
