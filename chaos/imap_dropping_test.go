//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/docflow/docflow/keyring"
	"github.com/docflow/docflow/mail"
	"github.com/docflow/docflow/mail/dovecottest"
	"github.com/docflow/docflow/pipeline/testdocs"
	"github.com/docflow/docflow/storage/postgres"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// TestChaosIMAPDropping delivers messages to a private Dovecot that is
// stopped and started again every few seconds while two workers poll it:
// every message ends taken exactly once (one email document, moved out of
// the inbox), its attachment committed.
func TestChaosIMAPDropping(t *testing.T) {
	n := min(docCount(t), 60)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	imapServer := dovecottest.Start(t)
	c := newCluster(t, clusterOptions{})
	store := postgres.New(c.pg, nil)
	keys, _ := keyring.New(c.key)
	store.SetKeyring(keys)
	if _, err := store.CreateMailbox(ctx, mail.Mailbox{TenantID: c.tenant, Host: imapServer.Host, Port: imapServer.Port, TLS: mail.NoTLS,
		Username: imapServer.User, Password: imapServer.Password, ProcessedFolder: "Processed", FailedFolder: "Failed",
		PollInterval: time.Second, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	c.startWorker()
	c.startWorker()
	// deliver appends message i, reconnecting while the server is down.
	deliver := func(i int) {
		raw := testdocs.Email(fmt.Sprintf("chaos-%d@example.org", i), "contrat.pdf", makeDoc(i*5).Data)
		for ctx.Err() == nil {
			err := func() error {
				cl, err := imapclient.DialInsecure(imapServer.Addr(), nil)
				if err != nil {
					return err
				}
				defer cl.Close()
				if err := cl.Login(imapServer.User, imapServer.Password).Wait(); err != nil {
					return err
				}
				ap := cl.Append("INBOX", int64(len(raw)), nil)
				ap.Write(raw)
				ap.Close()
				_, err = ap.Wait()
				return err
			}()
			if err == nil {
				return
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	delivered := make(chan struct{})
	go func() {
		for i := range n {
			deliver(i)
			time.Sleep(40 * time.Second / time.Duration(n))
		}
		c.note("all %d messages delivered", n)
		close(delivered)
	}()
	drops := 0
	for flapping := true; flapping; {
		select {
		case <-delivered:
			flapping = false
		case <-time.After(3 * time.Second):
		}
		imapServer.Stop()
		time.Sleep(1500 * time.Millisecond)
		imapServer.Restart()
		drops++
		c.note("Dovecot stopped for 1.5 s and started again (drop %d)", drops)
	}
	inbox := func() int {
		cl, err := imapclient.DialInsecure(imapServer.Addr(), nil)
		if err != nil {
			return -1
		}
		defer cl.Close()
		if err := cl.Login(imapServer.User, imapServer.Password).Wait(); err != nil {
			return -1
		}
		st, err := cl.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			return -1
		}
		return int(*st.NumMessages)
	}
	var moved, emails int
	for ctx.Err() == nil {
		_ = c.pg.QueryRow(ctx, `SELECT (SELECT count(*) FROM mail_messages WHERE state = 'moved'),
			(SELECT count(*) FROM documents WHERE tenant_id = $1 AND parent_id IS NULL)`, c.tenant).Scan(&moved, &emails)
		if moved >= n && inbox() == 0 {
			break
		}
		time.Sleep(time.Second)
	}
	c.note("%d messages moved, %d email documents, %d left in INBOX", moved, emails, inbox())
	c.settleWithin(ctx, 5*time.Minute)
	var messages, dupMessages int
	_ = c.pg.QueryRow(ctx, `SELECT count(*), count(*) - count(DISTINCT message_id) FROM mail_messages WHERE tenant_id = $1`, c.tenant).Scan(&messages, &dupMessages)
	left := inbox()
	r := &report{Scenario: "TestChaosIMAPDropping", Title: "an IMAP server dropping connections",
		Promise: "every message delivered while the IMAP server goes down and up again is taken exactly once: one email document, its attachment committed once, the message moved out of the inbox.",
		Params: [][2]string{{"messages", fmt.Sprintf("%d, each with one PDF attachment, delivered over about 40 s", n)},
			{"processes", "2 `serve --workers-only` polling the mailbox every second"},
			{"faults", "a private Dovecot (mail/dovecottest) stopped for 1.5 s every 3 s while mail flows"},
			{"time bound", "15 min"}},
		Measures: [][2]string{{"server drops", strconv.Itoa(drops)},
			{"mail_messages rows / duplicate Message-IDs", fmt.Sprintf("%d / %d", messages, dupMessages)},
			{"messages moved", strconv.Itoa(moved)}, {"email documents", strconv.Itoa(emails)},
			{"left in INBOX", strconv.Itoa(left)}},
	}
	if messages != n || dupMessages != 0 || moved != n || emails != n || left != 0 {
		t.Errorf("%d messages sent: %d taken (%d duplicate), %d moved, %d email documents, %d left in INBOX; want %d, 0, %d, %d, 0",
			n, messages, dupMessages, moved, emails, left, n, n, n)
	}
	c.finish(ctx, "imap-dropping", r, nil)
}
