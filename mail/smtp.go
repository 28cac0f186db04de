package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"github.com/emersion/go-smtp"
)

// AddressBook resolves the token of an inbound address (token@domain) to
// its tenant, or derrors.NotFound.
type AddressBook interface {
	InboundTenant(ctx context.Context, token string) (string, error)
}

// SMTPConfig sets up the SMTP receiver.
type SMTPConfig struct {
	// Addr to listen on, e.g. ":2525".
	Addr string
	// Domain is the part after @ of the inbound addresses.
	Domain string
	// MaxBytes bounds a message (default: the service's upload limit).
	MaxBytes int64
	// TLS, when set, offers STARTTLS.
	TLS *tls.Config
}

// NewSMTPServer returns an SMTP server that takes mail sent to a tenant's
// inbound address as that tenant's email document, the way an upload is
// taken (pipeline.Service.Upload): stored and queued in one transaction
// before the 250 answer. The same message sent again (an MTA that did not
// hear the 250) is the same bytes, so the same document: no double.
func NewSMTPServer(book AddressBook, svc *pipeline.Service, cfg SMTPConfig) *smtp.Server {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = svc.MaxUploadBytes
	}
	s := smtp.NewServer(&backend{book: book, svc: svc, domain: strings.ToLower(cfg.Domain)})
	s.Addr, s.Domain = cfg.Addr, cfg.Domain
	s.MaxMessageBytes = cfg.MaxBytes
	s.MaxRecipients = 10
	s.ReadTimeout, s.WriteTimeout = 2*time.Minute, 2*time.Minute
	s.TLSConfig = cfg.TLS
	return s
}

type backend struct {
	book   AddressBook
	svc    *pipeline.Service
	domain string
}

func (b *backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{b: b}, nil }

type session struct {
	b       *backend
	from    string
	tenants []string
	rcpts   []string
}

func (s *session) Reset()        { s.from, s.tenants, s.rcpts = "", nil, nil }
func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = strings.ToLower(strings.Trim(from, "<> "))
	return nil
}

// Rcpt accepts only the inbound addresses of the configured domain.
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	local, domain, ok := strings.Cut(strings.ToLower(strings.Trim(to, "<> ")), "@")
	if !ok || domain != s.b.domain {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 2}, Message: "no such domain here"}
	}
	tenant, err := s.b.book.InboundTenant(context.Background(), local)
	if errors.Is(err, derrors.NotFound) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	if err != nil {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.tenants, s.rcpts = append(s.tenants, tenant), append(s.rcpts, local)
	return nil
}

// Data stores the message for every recipient's tenant before answering.
func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		if errors.Is(err, smtp.ErrDataTooLarge) {
			return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "message too large"}
		}
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	headerFrom := ""
	if msg, err := netmail.ReadMessage(bytes.NewReader(data)); err == nil {
		if a, err := netmail.ParseAddress(msg.Header.Get("From")); err == nil {
			headerFrom = strings.ToLower(a.Address)
		}
	}
	done := map[string]bool{}
	for i, tenant := range s.tenants {
		if done[tenant] {
			continue
		}
		settings, err := s.b.svc.Store.TenantSettings(ctx, tenant)
		if err != nil {
			slog.Warn("smtp intake failed", "tenant", tenant, "err", err)
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
		}
		// The From header (kept by forwarding rules that rewrite the
		// envelope), or the envelope sender when there is none.
		sender := headerFrom
		if sender == "" {
			sender = s.from
		}
		if !settings.AllowsSender(sender) {
			slog.Info("smtp: sender not on the tenant's allow-list", "tenant", tenant, "sender_domain", domainOf(sender))
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "sender not allowed for this address"}
		}
		p := pipeline.Principal{KeyID: "smtp:" + s.rcpts[i], TenantID: tenant, Role: pipeline.RoleUploader}
		d, _, err := s.b.svc.Upload(ctx, p, "message.eml", bytes.NewReader(data))
		if err != nil {
			if ref, ok := derrors.AsRefusal(err); ok {
				// Kept for audit; the sender learns why.
				code := 554
				if ref.Code == derrors.TooLarge {
					code = 552
				}
				return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "refused: " + ref.Code}
			}
			slog.Warn("smtp intake failed", "tenant", tenant, "err", err)
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
		}
		slog.Info("smtp message taken", "tenant", tenant, "document", d.ID)
		done[tenant] = true
	}
	return nil
}

func domainOf(addr string) string {
	_, d, _ := strings.Cut(addr, "@")
	return d
}
