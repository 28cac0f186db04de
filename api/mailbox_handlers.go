package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/mail"
	"github.com/gin-gonic/gin"
)

// Mailboxes keeps the tenants' mailboxes and what was taken from them.
type Mailboxes interface {
	CreateMailbox(ctx context.Context, mb mail.Mailbox) (mail.Mailbox, error)
	Mailbox(ctx context.Context, tenantID, id string) (mail.Mailbox, error)
	Mailboxes(ctx context.Context, tenantID string) ([]mail.Mailbox, error)
	UpdateMailbox(ctx context.Context, mb mail.Mailbox) (mail.Mailbox, error)
	MailMessages(ctx context.Context, tenantID, mailboxID string) ([]mail.Taken, error)
	MailFailures(ctx context.Context, tenantID, mailboxID string) ([]mail.Failure, error)
}

// WithMailboxes serves the mailbox routes.
func WithMailboxes(m Mailboxes) Option { return func(s *Server) { s.mailboxes = m } }

// mailboxJSON is a mailbox as the API shows it: never its password.
type mailboxJSON struct {
	ID                  string `json:"id"`
	Name                string `json:"name"`
	Host                string `json:"host"`
	Port                int    `json:"port"`
	TLS                 string `json:"tls"`
	Username            string `json:"username"`
	Folder              string `json:"folder"`
	ProcessedFolder     string `json:"processed_folder"`
	FailedFolder        string `json:"failed_folder"`
	PollIntervalSeconds int    `json:"poll_interval_seconds"`
	MaxAttempts         int    `json:"max_attempts"`
	Enabled             bool   `json:"enabled"`
}

func toMailboxJSON(mb mail.Mailbox) mailboxJSON {
	return mailboxJSON{ID: mb.ID, Name: mb.Name, Host: mb.Host, Port: mb.Port, TLS: string(mb.TLS), Username: mb.Username,
		Folder: mb.Folder, ProcessedFolder: mb.ProcessedFolder, FailedFolder: mb.FailedFolder,
		PollIntervalSeconds: int(mb.PollInterval / time.Second), MaxAttempts: mb.MaxAttempts, Enabled: mb.Enabled}
}

type createMailboxRequest struct {
	mailboxJSON
	Password string `json:"password"`
}

func (s *Server) createMailbox(c *gin.Context) error {
	if s.mailboxes == nil {
		return fmt.Errorf("mailboxes are not served: %w", derrors.NotFound)
	}
	req := createMailboxRequest{mailboxJSON: mailboxJSON{Enabled: true, TLS: string(mail.TLS), Folder: "INBOX"}}
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	switch mail.TLSMode(req.TLS) {
	case mail.TLS, mail.StartTLS, mail.NoTLS:
	default:
		return fmt.Errorf("%w: tls must be tls, starttls or none", derrors.InvalidArgument)
	}
	if req.Username == "" || req.Password == "" {
		return fmt.Errorf("%w: a mailbox needs a username and a password", derrors.InvalidArgument)
	}
	mb, err := s.mailboxes.CreateMailbox(c.Request.Context(), mail.Mailbox{TenantID: principal(c).TenantID, Name: req.Name,
		Host: req.Host, Port: req.Port, TLS: mail.TLSMode(req.TLS), Username: req.Username, Password: req.Password,
		Folder: req.Folder, ProcessedFolder: req.ProcessedFolder, FailedFolder: req.FailedFolder,
		PollInterval: time.Duration(req.PollIntervalSeconds) * time.Second, MaxAttempts: req.MaxAttempts, Enabled: req.Enabled})
	if err != nil {
		return err
	}
	c.Header("Location", "/v1/mailboxes/"+mb.ID)
	c.JSON(http.StatusCreated, toMailboxJSON(mb))
	return nil
}

func (s *Server) getMailbox(c *gin.Context) error {
	if s.mailboxes == nil {
		return fmt.Errorf("mailboxes are not served: %w", derrors.NotFound)
	}
	mb, err := s.mailboxes.Mailbox(c.Request.Context(), principal(c).TenantID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, toMailboxJSON(mb))
	return nil
}

// updateMailboxRequest has pointers: a field left out keeps its value.
type updateMailboxRequest struct {
	Name                *string `json:"name"`
	Host                *string `json:"host"`
	Port                *int    `json:"port"`
	TLS                 *string `json:"tls"`
	Username            *string `json:"username"`
	Password            *string `json:"password"`
	Folder              *string `json:"folder"`
	ProcessedFolder     *string `json:"processed_folder"`
	FailedFolder        *string `json:"failed_folder"`
	PollIntervalSeconds *int    `json:"poll_interval_seconds"`
	MaxAttempts         *int    `json:"max_attempts"`
	Enabled             *bool   `json:"enabled"`
}

// updateMailbox changes some of a mailbox's settings; the pollers follow.
func (s *Server) updateMailbox(c *gin.Context) error {
	if s.mailboxes == nil {
		return fmt.Errorf("mailboxes are not served: %w", derrors.NotFound)
	}
	ctx := c.Request.Context()
	mb, err := s.mailboxes.Mailbox(ctx, principal(c).TenantID, c.Param("id"))
	if err != nil {
		return err
	}
	var req updateMailboxRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&mb.Name, req.Name)
	set(&mb.Host, req.Host)
	set(&mb.Username, req.Username)
	set(&mb.Folder, req.Folder)
	set(&mb.ProcessedFolder, req.ProcessedFolder)
	set(&mb.FailedFolder, req.FailedFolder)
	mb.Password = "" // kept unless a new one is given
	if req.Password != nil {
		if *req.Password == "" {
			return fmt.Errorf("%w: password must not be empty", derrors.InvalidArgument)
		}
		mb.Password = *req.Password
	}
	if req.TLS != nil {
		switch mail.TLSMode(*req.TLS) {
		case mail.TLS, mail.StartTLS, mail.NoTLS:
			mb.TLS = mail.TLSMode(*req.TLS)
		default:
			return fmt.Errorf("%w: tls must be tls, starttls or none", derrors.InvalidArgument)
		}
	}
	if req.Port != nil {
		mb.Port = *req.Port
	}
	if req.PollIntervalSeconds != nil {
		mb.PollInterval = time.Duration(*req.PollIntervalSeconds) * time.Second
	}
	if req.MaxAttempts != nil {
		mb.MaxAttempts = *req.MaxAttempts
	}
	if req.Enabled != nil {
		mb.Enabled = *req.Enabled
	}
	out, err := s.mailboxes.UpdateMailbox(ctx, mb)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, toMailboxJSON(out))
	return nil
}

func (s *Server) listMailboxes(c *gin.Context) error {
	if s.mailboxes == nil {
		return fmt.Errorf("mailboxes are not served: %w", derrors.NotFound)
	}
	boxes, err := s.mailboxes.Mailboxes(c.Request.Context(), principal(c).TenantID)
	if err != nil {
		return err
	}
	items := make([]mailboxJSON, 0, len(boxes))
	for _, mb := range boxes {
		items = append(items, toMailboxJSON(mb))
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}

// listMailMessages shows the messages taken from a mailbox with their
// documents and each one's status.
func (s *Server) listMailMessages(c *gin.Context) error {
	if s.mailboxes == nil {
		return fmt.Errorf("mailboxes are not served: %w", derrors.NotFound)
	}
	items, err := s.mailboxes.MailMessages(c.Request.Context(), principal(c).TenantID, c.Param("id"))
	if err != nil {
		return err
	}
	for i := range items {
		if items[i].Parts == nil {
			items[i].Parts = []mail.TakenPart{}
		}
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}

type failureJSON struct {
	UIDValidity   uint32     `json:"uidvalidity"`
	UID           uint32     `json:"uid"`
	MessageID     string     `json:"message_id"`
	Subject       string     `json:"subject"`
	Attempts      int        `json:"attempts"`
	Reason        string     `json:"reason"`
	FirstFailedAt time.Time  `json:"first_failed_at"`
	LastFailedAt  time.Time  `json:"last_failed_at"`
	ParkedAt      *time.Time `json:"parked_at"`
}

// listMailFailures shows the messages whose intake failed, with the reason.
func (s *Server) listMailFailures(c *gin.Context) error {
	if s.mailboxes == nil {
		return fmt.Errorf("mailboxes are not served: %w", derrors.NotFound)
	}
	p := principal(c)
	if _, err := s.mailboxes.Mailbox(c.Request.Context(), p.TenantID, c.Param("id")); err != nil {
		return err
	}
	fs, err := s.mailboxes.MailFailures(c.Request.Context(), p.TenantID, c.Param("id"))
	if err != nil {
		return err
	}
	items := make([]failureJSON, 0, len(fs))
	for _, f := range fs {
		items = append(items, failureJSON{UIDValidity: f.UIDValidity, UID: f.UID, MessageID: f.MessageID, Subject: f.Subject,
			Attempts: f.Attempts, Reason: f.Reason, FirstFailedAt: f.FirstFailedAt.UTC(), LastFailedAt: f.LastFailedAt.UTC(), ParkedAt: f.ParkedAt})
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}
