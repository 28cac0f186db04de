package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/smtp"
	"strings"
	"time"

	"github.com/docflow/docflow/pipeline"
	"github.com/google/uuid"
)

// Pending is a message taken in whose answer is not decided yet, with what
// became of its documents.
type Pending struct {
	RecordID  string
	TenantID  string
	From      string
	Subject   string
	MessageID string
	// Email is the email document; Parts the documents it carried.
	Email PendingDoc
	Parts []PendingDoc
}

// PendingDoc is one document of a pending message.
type PendingDoc struct {
	FileName       string
	Type           string
	Status         pipeline.Status
	Refusal        string
	RefusalMessage string
}

// ReplyStore keeps which senders were answered.
type ReplyStore interface {
	// PendingReplies lists the mailbox's messages whose answer is not
	// decided yet, oldest first.
	PendingReplies(ctx context.Context, mailboxID string) ([]Pending, error)
	// SetReplyState decides a message's answer: "sent", "not_needed",
	// "skipped" or "failed". It returns false when the message was decided
	// already (the answer is never sent twice).
	SetReplyState(ctx context.Context, recordID, state string) (bool, error)
	// SkipReplies decides every pending message of the mailbox as
	// not needed (the tenant does not want answers).
	SkipReplies(ctx context.Context, mailboxID string) error
}

// Replier sends answers through an SMTP relay.
type Replier struct {
	// Relay is host:port of the SMTP server that sends the answers.
	Relay string
	// From is the answers' sender address.
	From string
	// TLS, when set, is used for STARTTLS if the relay offers it.
	TLS *tls.Config
}

// busy reports whether a document is still on its way.
func busy(s pipeline.Status) bool {
	return s == pipeline.StatusReceived || s == pipeline.StatusProcessing
}

// usable reports whether the message gave a contract or a timesheet.
func (m Pending) usable() bool {
	for _, d := range append([]PendingDoc{m.Email}, m.Parts...) {
		if (d.Type == string(pipeline.TypeContract) || d.Type == string(pipeline.TypeTimesheet)) &&
			d.Status != pipeline.StatusRefused && d.Status != pipeline.StatusFailed {
			return true
		}
	}
	return false
}

// done reports whether every document of the message reached a status of
// its own.
func (m Pending) done() bool {
	if busy(m.Email.Status) {
		return false
	}
	for _, d := range m.Parts {
		if busy(d.Status) {
			return false
		}
	}
	return true
}

// automatic reports whether the sender is a robot that must not be
// answered (bounces, no-reply addresses): answering them makes loops.
func automatic(from string) bool {
	local, _, ok := strings.Cut(strings.ToLower(from), "@")
	if !ok {
		return true
	}
	for _, p := range []string{"mailer-daemon", "postmaster", "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "bounce"} {
		if strings.Contains(local, p) {
			return true
		}
	}
	return false
}

// answer decides the answers of the mailbox's processed messages: mail
// that carried nothing usable gets a reply saying why, when the tenant
// asks for it. A reply is claimed before it is sent: never sent twice.
func (p *Poller) answer(ctx context.Context, mb Mailbox, settings pipeline.TenantSettings) error {
	rs, ok := p.Store.(ReplyStore)
	if !ok {
		return nil
	}
	if settings.Mail == nil || !settings.Mail.ReplyWhenUnusable || p.Replier == nil {
		return rs.SkipReplies(ctx, mb.ID)
	}
	pending, err := rs.PendingReplies(ctx, mb.ID)
	if err != nil {
		return err
	}
	for _, m := range pending {
		if !m.done() {
			continue
		}
		state := ""
		switch {
		case m.usable():
			state = "not_needed"
		case automatic(m.From):
			state = "skipped"
		}
		if state != "" {
			if _, err := rs.SetReplyState(ctx, m.RecordID, state); err != nil {
				return err
			}
			continue
		}
		if claimed, err := rs.SetReplyState(ctx, m.RecordID, "sent"); err != nil || !claimed {
			return err
		}
		if err := p.Replier.Send(ctx, m); err != nil {
			slog.Warn("mail: the answer to a sender failed", "mailbox", mb.ID, "err", err)
			if _, err := rs.SetReplyState(ctx, m.RecordID, "failed"); err != nil {
				return err
			}
		}
	}
	return nil
}

// Send answers the sender of m, saying what became of each document.
func (r *Replier) Send(ctx context.Context, m Pending) error {
	msg := replyMessage(r.From, m)
	d := net.Dialer{Timeout: 30 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", r.Relay)
	if err != nil {
		return fmt.Errorf("relay: %w", err)
	}
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
	host, _, _ := net.SplitHostPort(r.Relay)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("relay: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok && r.TLS != nil {
		if err := c.StartTLS(r.TLS); err != nil {
			return fmt.Errorf("relay starttls: %w", err)
		}
	}
	if err := c.Mail(r.From); err != nil {
		return fmt.Errorf("relay: %w", err)
	}
	if err := c.Rcpt(m.From); err != nil {
		return fmt.Errorf("relay: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("relay: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("relay: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("relay: %w", err)
	}
	return c.Quit()
}

// replyMessage writes the answer, in French and English.
func replyMessage(from string, m Pending) []byte {
	var b bytes.Buffer
	subject := "Re: " + m.Subject
	if m.Subject == "" {
		subject = "Votre message / Your message"
	}
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\n", from, oneLine(m.From), mime.QEncoding.Encode("utf-8", subject))
	fmt.Fprintf(&b, "Message-ID: <%s@docflow>\r\nDate: %s\r\n", uuid.NewString(), time.Now().UTC().Format(time.RFC1123Z))
	if id := oneLine(m.MessageID); id != "" {
		fmt.Fprintf(&b, "In-Reply-To: <%s>\r\nReferences: <%s>\r\n", id, id)
	}
	b.WriteString("Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString("Bonjour,\r\n\r\nNous n'avons trouvé ni contrat de mission ni relevé d'heures utilisable dans votre message.\r\n")
	b.WriteString("We found no usable assignment contract or timesheet in your message.\r\n\r\n")
	docs := m.Parts
	if len(docs) == 0 {
		docs = []PendingDoc{m.Email}
	}
	for _, d := range docs {
		fmt.Fprintf(&b, "- %s: %s\r\n", d.FileName, outcome(d))
	}
	if len(m.Parts) == 0 && m.Email.Refusal == "" {
		b.WriteString("- (aucune pièce jointe / no attachment)\r\n")
	}
	b.WriteString("\r\nMerci d'envoyer le document en PDF, image, DOCX, XLSX ou CSV lisible et non protégé.\r\n")
	b.WriteString("Please send the document as a readable, unprotected PDF, image, DOCX, XLSX or CSV.\r\n\r\n-- \r\ndocflow (message automatique / automatic message)\r\n")
	return b.Bytes()
}

// oneLine drops line breaks from a header value that the sender chose, so
// that it cannot add headers (or a body) to the reply.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
}

func outcome(d PendingDoc) string {
	switch {
	case d.Refusal != "":
		return "refusé / refused (" + d.Refusal + "): " + d.RefusalMessage
	case d.Status == pipeline.StatusFailed:
		return "illisible / could not be read"
	default:
		return "ni contrat ni relevé d'heures / neither a contract nor a timesheet"
	}
}
