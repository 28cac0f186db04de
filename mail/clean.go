package mail

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime"
	"strings"

	"github.com/docflow/docflow/pipeline"
	"github.com/emersion/go-imap/v2"
	"golang.org/x/text/encoding/htmlindex"
)

// Bounds of the envelope values kept (bytes): RFC 5322 lines hold 998
// characters, RFC 5321 addresses 254.
const (
	maxSubjectBytes   = 998
	maxAddressBytes   = 254
	maxMessageIDBytes = 250
	maxReasonBytes    = 2000
)

// wordDecoder decodes RFC 2047 encoded words in any charset the reader
// knows (the IMAP client alone knows only UTF-8, ISO-8859-1 and ASCII).
var wordDecoder = &mime.WordDecoder{CharsetReader: func(charset string, input io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return nil, err
	}
	return enc.NewDecoder().Reader(input), nil
}}

// cleanMessageID cleans a Message-ID (without its brackets). One too long
// is cut and ends with the hash of the whole: it stays a dedupe key of
// bounded size that two messages do not share.
func cleanMessageID(s string) string {
	s = pipeline.CleanText(strings.Trim(s, "<> "), 1<<20)
	if len(s) <= maxMessageIDBytes {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	suffix := "~" + hex.EncodeToString(sum[:])
	return pipeline.CutUTF8(s, maxMessageIDBytes-len(suffix)) + suffix
}

// envelopeMessage fills m's Message-ID, subject and sender from the
// envelope, cleaned.
func envelopeMessage(m Message, e *imap.Envelope) Message {
	if e == nil {
		return m
	}
	m.MessageID = cleanMessageID(e.MessageID)
	m.Subject = pipeline.CleanText(e.Subject, maxSubjectBytes)
	m.From = envelopeSender(e)
	return m
}

// envelopeSender is the message's From address (else Sender), lower-cased
// and cleaned.
func envelopeSender(e *imap.Envelope) string {
	for _, list := range [][]imap.Address{e.From, e.Sender} {
		for _, a := range list {
			if addr := pipeline.CleanText(a.Addr(), maxAddressBytes); addr != "" {
				return strings.ToLower(addr)
			}
		}
	}
	return ""
}
