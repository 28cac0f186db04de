package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docflow/docflow/cmd/docflow/proctest"
	"github.com/docflow/docflow/keyring"
	"github.com/docflow/docflow/mail"
	"github.com/docflow/docflow/mail/dovecottest"
	"github.com/docflow/docflow/pipeline/testdocs"
	"github.com/docflow/docflow/storage/dbtest"
	"github.com/docflow/docflow/storage/postgres"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestMailProcessKilledBeforeMove kills a real docflow worker process
// (SIGKILL) after a message's documents are committed and before the
// message is moved, then starts it again: the message ends moved, with one
// email document, processed.
func TestMailProcessKilledBeforeMove(t *testing.T) {
	imapServer := dovecottest.Start(t)
	ctx := context.Background()
	key := make([]byte, keyring.KeySize)
	rand.Read(key)
	pgURL := dbtest.PostgresURL(t)
	settings := map[string]string{"DOCFLOW_POSTGRES_URL": pgURL, "DOCFLOW_MARIADB_DSN": dbtest.MariaDBDSN(t),
		"DOCFLOW_DATA_DIR": filepath.Join(t.TempDir(), "data"), "DOCFLOW_MASTER_KEY": base64.StdEncoding.EncodeToString(key),
		"DOCFLOW_ADDR": "127.0.0.1:0", "DOCFLOW_WORKERS": "2",
		// The killed worker may have taken the email's job: the restarted one
		// runs it again once it is taken as stuck.
		"DOCFLOW_RESCUE_AFTER": "5s"}
	var all []*proctest.Proc // every process, for its output
	start := func(extra []string, args ...string) *proctest.Proc {
		p := proctest.Start(t, strings.Join(args, " "), proctest.Environ(settings, extra...), args...)
		all = append(all, p)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("%s logs:\n%s", args, p.Logs())
			}
		})
		return p
	}
	if err := start(nil, "migrate").Err(); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	pool, err := pgxpool.New(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := postgres.New(pool, nil)
	keys, _ := keyring.New(key)
	store.SetKeyring(keys)
	tn, err := store.CreateTenant(ctx, "Agence Crash")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateMailbox(ctx, mail.Mailbox{TenantID: tn.ID, Host: imapServer.Host, Port: imapServer.Port, TLS: mail.NoTLS,
		Username: imapServer.User, Password: imapServer.Password, ProcessedFolder: "Processed", FailedFolder: "Failed",
		PollInterval: time.Second, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	c, err := imapclient.DialInsecure(imapServer.Addr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(imapServer.User, imapServer.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	raw := testdocs.Email("crash@example.org", "contrat.pdf", testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-2026-009001"))))
	ap := c.Append("INBOX", int64(len(raw)), nil)
	ap.Write(raw)
	ap.Close()
	if _, err := ap.Wait(); err != nil {
		t.Fatal(err)
	}
	count := func(q string) int {
		var n int
		if err := pool.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	inbox := func() int {
		st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			t.Fatal(err)
		}
		return int(*st.NumMessages)
	}

	crashing := start([]string{"DOCFLOW_FAULT=mail-after-commit"}, "serve", "--workers-only")
	if !crashing.Wait(60 * time.Second) {
		crashing.Kill()
		t.Fatal("the worker was not killed at the fault point")
	}
	var ee *exec.ExitError
	if err := crashing.Err(); !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the worker ended with %v, want killed", err)
	}
	if n := count("SELECT count(*) FROM mail_messages WHERE state = 'stored'"); n != 1 || inbox() != 1 {
		t.Fatalf("after the kill: %d stored messages, %d in INBOX; want 1 and 1", n, inbox())
	}

	restarted := start(nil, "serve", "--workers-only")
	defer restarted.Stop(syscall.SIGTERM, time.Minute)
	// The killed worker may have taken the email's job already: River's
	// rescuer (on the new leader, every 30 s) hands it back once it is
	// older than DOCFLOW_RESCUE_AFTER, which can take a minute or more.
	deadline := time.Now().Add(3 * time.Minute)
	for count("SELECT count(*) FROM mail_messages WHERE state = 'moved'") != 1 ||
		count("SELECT count(*) FROM documents WHERE parent_id IS NULL AND status = 'committed'") != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the restarted worker did not finish the message")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if n := count("SELECT count(*) FROM documents WHERE parent_id IS NULL"); n != 1 || inbox() != 0 {
		t.Errorf("%d email documents, %d in INBOX; want 1 and 0", n, inbox())
	}
	restarted.Stop(syscall.SIGTERM, time.Minute)
	// No secret and nothing the documents say reached the logs.
	for _, p := range all {
		logs := p.Logs()
		for _, leak := range []string{base64.StdEncoding.EncodeToString(key), imapServer.Password, "Élodie", "Lefèvre", "crash@example.org"} {
			if strings.Contains(logs, leak) {
				t.Errorf("the logs hold %q:\n%s", leak, logs)
			}
		}
	}
}
