package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"roster/internal/testkit"
)

// TestServeSendsMail runs the real binary with a mail server: a mail queued
// beside it (here by the CLI) is sent by the server's worker, and the
// worker stops with the server.
func TestServeSendsMail(t *testing.T) {
	t.Parallel()
	dataDir, err := os.MkdirTemp("", "roster-mail-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dataDir) })
	sm := testkit.NewSMTPServer(t)
	c := cli{t: t, env: []string{"ROSTER_DATA_DIR=" + dataDir}}
	c.ok("migrate")
	var org orgJSON
	c.okJSON(&org, "org", "create", "--name", "Mail Test", "--admin-email", "op@mail.test")

	s := startServe(t, dataDir, "ROSTER_SMTP_URL="+sm.URL().String(), "ROSTER_MAIL_FROM=Roster <no-reply@mail.test>")
	c.ok("member", "add", "--org", org.ID, "--email", "new@mail.test", "--invite")

	// The worker looks for due mail every second; this waits for a real
	// process, not for time to pass.
	deadline := time.Now().Add(30 * time.Second)
	for len(sm.MessagesTo("new@mail.test")) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no mail reached the SMTP server\nstderr:\n%s", s.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	m := sm.MessagesTo("new@mail.test")[0]
	if m.From != "no-reply@mail.test" || m.Header("Subject") != "You are invited to join Mail Test" {
		t.Errorf("envelope from %q, subject %q", m.From, m.Header("Subject"))
	}
	if links := m.Links(); len(links) != 1 || !strings.Contains(links[0], "/invitations/") {
		t.Errorf("links %q", links)
	}
	s.stop(t)
	if strings.Contains(s.stderr.String(), "ROSTER_SMTP_URL is not set") {
		t.Error("the server says mail is not sent")
	}
	if n := len(sm.Messages()); n != 1 {
		t.Errorf("the server received %d mails, want 1", n)
	}
}
