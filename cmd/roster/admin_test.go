package main

import (
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"roster/internal/database"
	"roster/internal/store"
	"roster/internal/testkit"
)

func TestAdminLoginLink(t *testing.T) {
	t.Parallel()
	dbURL := testkit.NewDBURL(t)
	c := cli{t: t, env: []string{"DATABASE_URL=" + dbURL, "ROSTER_PUBLIC_URL=https://roster.example.com"}}

	out := c.ok("admin", "login-link", "--email", "Ann@Example.com")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	link := lines[len(lines)-1]
	token, ok := strings.CutPrefix(link, "https://roster.example.com/login/link/")
	if !ok || len(token) < 43 || strings.ContainsAny(token, " /") {
		t.Fatalf("the last line is not the link alone: %q\n%s", link, out)
	}
	if !strings.Contains(out, "ann@example.com") {
		t.Errorf("the output does not name the owner:\n%s", out)
	}

	db := sqlx.MustOpen("postgres", dbURL)
	defer db.Close()
	hash := sha256.Sum256([]byte(token))
	var email string
	var minutes float64
	if err := db.QueryRow(`SELECT email, extract(epoch FROM expires_at - created_at) / 60 FROM one_time_tokens
		WHERE token_hash = $1 AND purpose = 'admin_login' AND used_at IS NULL`, hash[:]).Scan(&email, &minutes); err != nil {
		t.Fatalf("the link's hash is not stored: %v", err)
	}
	if email != "ann@example.com" || minutes != 15 {
		t.Errorf("stored email %q, lifetime %v minutes", email, minutes)
	}

	// Without --email: the bootstrap email.
	out = c.ok("admin", "login-link")
	if !strings.Contains(out, "owner@localhost") {
		t.Errorf("default email not used:\n%s", out)
	}
	if errOut := c.fails("admin", "login-link", "--email", "not an email"); !strings.Contains(errOut, "email") {
		t.Errorf("bad email: stderr %q", errOut)
	}
	if _, _, code := runRoster(t, c.env, "admin"); code != 2 {
		t.Errorf("roster admin without an action: exit %d, want 2", code)
	}
}

// TestServeSetupLink runs `roster serve` without an identity provider and
// signs in with the link it prints.
func TestServeSetupLink(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	base := "http://" + addr
	cmd := exec.Command(rosterBin, "serve")
	cmd.Env = env("DATABASE_URL="+testkit.NewDBURL(t), "ROSTER_ADDR="+addr)
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })

	// The link is printed before the server answers.
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if res, err := client.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-done:
			t.Fatalf("roster serve exited early\nstderr:\n%s", stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready in time\nstderr:\n%s", stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var link string
	for _, line := range strings.Split(stdout.String(), "\n") {
		if strings.HasPrefix(line, base+"/login/link/") {
			link = line
		}
	}
	if link == "" || !strings.Contains(stdout.String(), "Setup mode") {
		t.Fatalf("no setup link printed:\n%s", stdout)
	}

	// Open it, click "Sign in as owner" (a POST with the CSRF token), land
	// in the console as the owner.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 5 * time.Second}
	res, err := browser.Get(link)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET the link: %v %v", res, err)
	}
	res.Body.Close()
	u, _ := url.Parse(base)
	var csrf string
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "roster_csrf" {
			csrf = ck.Value
		}
	}
	res, err = browser.PostForm(link, url.Values{"csrf_token": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.Request.URL.Path != "/" || !strings.Contains(string(page), `data-role="owner"`) || !strings.Contains(string(page), "owner@localhost") {
		t.Fatalf("after using the link: %s %d\n%.800s", res.Request.URL, res.StatusCode, page)
	}
}

// TestLoginLinkReachesTheRunningServer: `roster admin login-link`, run in
// another shell without the server's settings, prints a link to the
// address the running `roster serve` answers at (here a port it picked
// itself, ROSTER_ADDR=127.0.0.1:0), not the default port.
func TestLoginLinkReachesTheRunningServer(t *testing.T) {
	t.Parallel()
	dbURL := testkit.NewDBURL(t)
	cmd := exec.Command(rosterBin, "serve")
	cmd.Env = env("DATABASE_URL="+dbURL, "ROSTER_ADDR=127.0.0.1:0")
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })

	// serve says where it runs before it answers; wait for it to answer.
	running := regexp.MustCompile(`Roster is running at (http://127\.0\.0\.1:[1-9][0-9]*)\n`)
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	var base string
	for {
		if m := running.FindStringSubmatch(stdout.String()); m != nil && base == "" {
			base = m[1]
		}
		if base != "" {
			if res, err := client.Get(base + "/readyz"); err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					break
				}
			}
		}
		select {
		case <-done:
			t.Fatalf("roster serve exited early\nstderr:\n%s", stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready in time\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}

	lastLine := func(out string) string {
		lines := strings.Split(strings.TrimSpace(out), "\n")
		return lines[len(lines)-1]
	}
	out, errOut, code := runRoster(t, []string{"DATABASE_URL=" + dbURL}, "admin", "login-link")
	link := lastLine(out)
	if code != 0 || !strings.HasPrefix(link, base+"/login/link/") || errOut != "" {
		t.Fatalf("login-link beside serve at %s: exit %d, link %q, stderr %q", base, code, link, errOut)
	}
	res, err := client.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), `data-testid="use-link"`) {
		t.Errorf("opening the printed link: %d\n%.600s", res.StatusCode, page)
	}

	// So does an invitation the command line sends: its link reaches serve.
	c := cli{t: t, env: []string{"DATABASE_URL=" + dbURL}}
	var acme orgJSON
	c.okJSON(&acme, "org", "create", "--name", "Acme")
	c.ok("member", "add", "--org", acme.ID, "--email", "bob@acme.test", "--invite")
	db, err := database.Open(context.Background(), dbURL, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	key, err := database.SecretKey(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	mails := testkit.Outbox(t, store.New(db).WithMailKey(key), "bob@acme.test")
	if len(mails) != 1 || !strings.Contains(mails[0].Text, base+"/invitations/") {
		t.Errorf("the invitation the CLI sent does not link to %s:\n%v", base, mails)
	}

	// ROSTER_PUBLIC_URL, when set, is the address people reach Roster at.
	out, _, _ = runRoster(t, []string{"DATABASE_URL=" + dbURL, "ROSTER_PUBLIC_URL=https://id.example.com"}, "admin", "login-link")
	if link := lastLine(out); !strings.HasPrefix(link, "https://id.example.com/login/link/") {
		t.Errorf("with ROSTER_PUBLIC_URL: %q", link)
	}

	// Stopped, serve forgets its address: the link is for where serve
	// listens by default, and stderr says no server is running.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-done
	out, errOut, _ = runRoster(t, []string{"DATABASE_URL=" + dbURL}, "admin", "login-link")
	if link := lastLine(out); !strings.HasPrefix(link, "http://127.0.0.1:8080/login/link/") || !strings.Contains(errOut, "No `roster serve` is running") {
		t.Errorf("with no serve running: link %q, stderr %q", link, errOut)
	}
}
