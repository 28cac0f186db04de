package mail

import (
	"context"
	"log/slog"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Supervisor runs one poller loop per enabled mailbox and follows the
// mailbox list: mailboxes added, changed, disabled or removed through the
// API are picked up within Refresh, without a restart.
type Supervisor struct {
	Poller *Poller
	// List returns the enabled mailboxes of every tenant.
	List func(ctx context.Context) ([]Mailbox, error)
	// Refresh is how often the list is read again (default 30 s).
	Refresh time.Duration
}

// Run supervises until ctx ends, then waits for the loops to stop.
func (s *Supervisor) Run(ctx context.Context) {
	type loop struct {
		mb     Mailbox
		cancel context.CancelFunc
		done   chan struct{}
	}
	running := map[string]loop{}
	stop := func(l loop) { l.cancel(); <-l.done }
	defer func() {
		for _, l := range running {
			stop(l)
		}
	}()
	refresh := s.Refresh
	if refresh <= 0 {
		refresh = 30 * time.Second
	}
	for {
		boxes, err := s.List(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			slog.Warn("mail: listing mailboxes failed", "err", err)
		} else {
			seen := map[string]bool{}
			for _, mb := range boxes {
				seen[mb.ID] = true
				if l, ok := running[mb.ID]; ok {
					if l.mb == mb {
						continue
					}
					stop(l) // changed: restart with the new settings
				}
				lctx, cancel := context.WithCancel(ctx)
				l := loop{mb: mb, cancel: cancel, done: make(chan struct{})}
				go func() { defer close(l.done); s.Poller.Run(lctx, mb) }()
				running[mb.ID] = l
				slog.Info("mail: polling mailbox", "mailbox", mb.ID, "tenant", mb.TenantID, "host", mb.Host, "folder", mb.Folder)
			}
			for id, l := range running {
				if !seen[id] {
					stop(l)
					delete(running, id)
					slog.Info("mail: stopped polling mailbox", "mailbox", id)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(refresh):
		}
	}
}

// watch keeps an IMAP connection in IDLE on the mailbox's folder and sends
// on wake when the server announces messages, so that new mail is taken at
// once rather than at the next interval. It returns when the server does
// not support IDLE (the loop then only polls) or ctx ends; a lost
// connection is dialled again with backoff.
func (p *Poller) watch(ctx context.Context, mb Mailbox, wake chan<- struct{}) {
	notify := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	retry := time.Second
	for ctx.Err() == nil {
		supported, err := p.idleOnce(ctx, mb, notify)
		if !supported {
			slog.Info("mail: the server does not support IDLE; polling only", "mailbox", mb.ID)
			return
		}
		if ctx.Err() != nil {
			return
		}
		slog.Warn("mail: IDLE connection lost; dialling again", "mailbox", mb.ID, "err", err, "in", retry)
		select {
		case <-ctx.Done():
			return
		case <-time.After(retry):
		}
		retry = min(retry*2, time.Minute)
	}
}

// idleOnce runs one IDLE session until it fails or ctx ends.
func (p *Poller) idleOnce(ctx context.Context, mb Mailbox, notify func()) (supported bool, err error) {
	handler := &imapclient.UnilateralDataHandler{Mailbox: func(d *imapclient.UnilateralDataMailbox) {
		if d.NumMessages != nil && *d.NumMessages > 0 {
			notify()
		}
	}}
	c, err := p.dialWith(mb, handler)
	if err != nil {
		return true, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := c.Login(mb.Username, mb.Password).Wait(); err != nil {
		return true, err
	}
	if !c.Caps().Has(imap.CapIdle) {
		return false, nil
	}
	if _, err := c.Select(folderOf(mb), &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return true, err
	}
	idle, err := c.Idle()
	if err != nil {
		return true, err
	}
	return true, idle.Wait()
}

func folderOf(mb Mailbox) string {
	if mb.Folder == "" {
		return "INBOX"
	}
	return mb.Folder
}
