package mail

import (
	"bytes"
	"io"
	"mime"
	netmail "net/mail"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/docflow/docflow/pipeline"
)

// FuzzReplyMessage checks the answer to a sender, built from what the
// sender's message said (address, subject, Message-ID, file names): it
// parses as a message with exactly docflow's headers, whatever those
// values hold, so that a sender cannot add headers; and its subject
// decodes back to what it answers.
func FuzzReplyMessage(f *testing.F) {
	f.Add("sender@agency.example", "Relevé d'heures semaine 10", "abc.123@mail.example", "releve.pdf", "the file is empty")
	f.Add("a@b.c", "", "", "", "")
	f.Add("a@b.c\r\nBcc: victim@example.com", "x\r\nBcc: v@e.com", "id>\r\nX-Injected: 1\r\n\r\n<", "a\r\n.\r\nRCPT TO:<x>", "=?utf-8?q?x?=")
	f.Add("a@b.c", strings.Repeat("Très long sujet ", 20), "<<x@y>>", "contrat\u2028.pdf", "\x00\xff")
	f.Fuzz(func(t *testing.T, from, subject, messageID, fileName, refusal string) {
		m := Pending{From: from, Subject: subject, MessageID: messageID,
			Email: PendingDoc{FileName: "message.eml", Status: pipeline.StatusRefused, Refusal: "unsupported_media_type"},
			Parts: []PendingDoc{{FileName: fileName, Status: pipeline.StatusRefused, Refusal: "empty_document", RefusalMessage: refusal}}}
		raw := replyMessage("docflow@agency.example", m)
		msg, err := netmail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("the reply does not parse: %v\n%s", err, raw)
		}
		want := []string{"Auto-Submitted", "Content-Transfer-Encoding", "Content-Type", "Date", "From", "Message-Id", "Mime-Version", "Subject", "To"}
		if strings.Trim(messageID, "\r\n") != "" {
			want = append(want, "In-Reply-To", "References")
		}
		var got []string
		for k, vs := range msg.Header {
			if len(vs) != 1 {
				t.Fatalf("header %s given %d times:\n%s", k, len(vs), raw)
			}
			got = append(got, k)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("headers %v, want %v:\n%s", got, want, raw)
		}
		if msg.Header.Get("From") != "docflow@agency.example" || msg.Header.Get("Auto-Submitted") != "auto-replied" {
			t.Fatalf("headers changed:\n%s", raw)
		}
		if subject != "" && utf8.ValidString(subject) && !strings.ContainsAny(subject, "\r\n") {
			dec, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			// Header parsing drops the white space around the value.
			if err != nil || strings.TrimSpace(dec) != strings.TrimSpace("Re: "+subject) && !strings.Contains(subject, "=?") {
				t.Fatalf("subject %q decodes to %q, %v", subject, dec, err)
			}
		}
		if _, err := io.ReadAll(msg.Body); err != nil {
			t.Fatal(err)
		}
	})
}

var safeName = regexp.MustCompile(`^[\p{L}\p{N} ._-]+\.eml$`)

// FuzzFileName checks the file name given to a message after its subject:
// a safe name (letters, digits, space, dot, dash, underscore) that is
// valid UTF-8, as the database's text columns need, and short.
func FuzzFileName(f *testing.F) {
	f.Add("Relevé d'heures — semaine 10", uint32(1), uint32(7))
	f.Add("", uint32(0), uint32(0))
	f.Add("../../etc/passwd\x00", uint32(1), uint32(2))
	f.Add(strings.Repeat("é", 60), uint32(1), uint32(2))
	f.Add(strings.Repeat("a", 79)+"é", uint32(1), uint32(2))
	f.Fuzz(func(t *testing.T, subject string, validity, uid uint32) {
		name := fileName(Message{Subject: subject, UIDValidity: validity, UID: uid})
		if !utf8.ValidString(name) || !safeName.MatchString(name) || len(name) > 84 {
			t.Fatalf("fileName(%q) = %q", subject, name)
		}
	})
}
