package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"roster/internal/adminauth"
	"roster/internal/directory"
	"roster/internal/model"
	"roster/internal/testkit"
	"roster/web/webtest"
)

// The invitation link's pages, over HTTP: the mail comes from the real
// outbox worker through the in-process SMTP server.

// inviteLink invites email to org from the console (as ed@roster.test)
// and returns the link's path, read from the outbox.
func (k inviteKit) inviteLink(orgID, email string, roles ...string) string {
	k.t.Helper()
	inviter := "ed@roster.test"
	k.srv.Clock.Advance(time.Second) // so this mail is the newest
	if _, err := k.dir.AddMember(context.Background(), orgID, directory.UserInput{Email: &email},
		directory.MembershipInput{Roles: roles, InviterEmail: &inviter, SendInvitation: true}); err != nil {
		k.t.Fatal(err)
	}
	return k.lastInviteLink(email)
}

func (k inviteKit) lastInviteLink(email string) string {
	k.t.Helper()
	var text string
	for _, m := range webtest.OutboxTo(k.t, k.srv, email) {
		if m.Kind == "invitation" {
			text = m.Text
			break
		}
	}
	if text == "" {
		k.t.Fatalf("no invitation mail to %s", email)
	}
	links := testkit.Links(text)
	if len(links) == 0 {
		k.t.Fatalf("no link in the mail to %s", email)
	}
	return strings.TrimPrefix(links[0], k.srv.URL)
}

func (k inviteKit) signins() signinKit { return signinKit{t: k.t, srv: k.srv, dir: k.dir} }

// named is the accept form of a person the invitation created: they give
// their name.
func named(form url.Values) url.Values {
	out := url.Values{"name": {"Nia Newcomer"}}
	for k, v := range form {
		out[k] = v
	}
	return out
}

func TestInvitationFromTheAPIArrivesAndAccepts(t *testing.T) {
	sm := testkit.NewSMTPServer(t)
	k := newInviteKit(t)
	o := k.org("Acme", "ada@acme.test")
	api := webtest.NewAPIClient(t, k.srv)

	r := api.Do("POST", "/api/v1/organizations/"+o.ID+"/users?send_invitation_email=true", map[string]any{
		"email":      "ann@acme.test",
		"membership": map[string]any{"roles": []map[string]string{{"name": "admin"}}, "inviter_email": "ada@acme.test"},
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("invite over the API: %d %s", r.Status, r.Raw)
	}
	if res := webtest.DeliverMail(t, k.srv, sm); res.Sent != 1 {
		t.Fatalf("delivered %+v", res)
	}
	got := sm.MessagesTo("ann@acme.test")
	if len(got) != 1 || !strings.Contains(got[0].Header("Subject"), "Acme") {
		t.Fatalf("mails %d", len(got))
	}
	link := got[0].Links()[0]
	if !strings.HasPrefix(link, k.srv.URL+"/invitations/") {
		t.Fatalf("link %q", link)
	}

	c := webtest.NewVisitorClient(t, k.srv)
	page := c.Get(link)
	wantPage(t, page, http.StatusOK, "Join Acme", "ada@acme.test", "ann@acme.test", "Admin", `data-testid="invitation-accept"`)
	// Opening the link, however often, uses nothing.
	c.Get(link)
	if m := k.membership(o.ID, "ann@acme.test"); m.Status != model.StatusPendingInvite {
		t.Fatalf("status after opening: %s", m.Status)
	}

	res := c.PostForm(link, named(nil))
	if res.Status != http.StatusSeeOther || c.Cookie("roster_session") == "" {
		t.Fatalf("accept: %d → %q\n%.500s", res.Status, res.Location, res.Body)
	}
	m := k.membership(o.ID, "ann@acme.test")
	if m.Status != model.StatusActive || m.InviteAcceptedAt == nil || m.JoinedAt == nil {
		t.Fatalf("membership %+v", m)
	}
	u, _ := k.dir.UserByEmail(context.Background(), "ann@acme.test")
	if !u.EmailVerified {
		t.Error("email not verified")
	}
	// Signed in to that org.
	_, status, org := k.signins().session(c)
	if status != "ACTIVE" || org == nil || *org != o.ID {
		t.Fatalf("session %s in %v", status, org)
	}
	// A second submit from this browser just goes on: they are in.
	res = c.PostForm(link, nil)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("second submit: %d\n%.500s", res.Status, res.Body)
	}
	// From another browser, the link is used.
	wantPage(t, webtest.NewVisitorClient(t, k.srv).PostForm(link, nil), http.StatusGone, "This invitation has been used")
}

func TestInvitationParallelAccepts(t *testing.T) {
	k := newInviteKit(t)
	o := k.org("Acme", "ada@acme.test")
	link := k.inviteLink(o.ID, "ann@acme.test")

	clients := make([]*webtest.ConsoleClient, 10)
	for i := range clients {
		clients[i] = webtest.NewVisitorClient(t, k.srv)
		clients[i].CSRFToken() // fetch it before the race starts
	}
	results := make([]*webtest.PageResponse, len(clients))
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() { results[i] = c.PostForm(link, named(nil)) })
	}
	wg.Wait()
	accepted, used := 0, 0
	for _, r := range results {
		switch {
		case r.Status == http.StatusSeeOther:
			accepted++
		case r.Status == http.StatusGone && strings.Contains(r.Body, `data-state="used"`):
			used++
		default:
			t.Errorf("answer %d\n%.300s", r.Status, r.Body)
		}
	}
	if accepted != 1 || used != 9 {
		t.Fatalf("%d accepted, %d told used", accepted, used)
	}
	if n := k.count(`SELECT count(*) FROM memberships WHERE organization_id = $1 AND status = 'ACTIVE'`, o.ID); n != 2 {
		t.Fatalf("%d active memberships (the admin and ann)", n)
	}
}

func TestInvitationClosedLinks(t *testing.T) {
	k := newInviteKit(t)
	o := k.org("Acme", "ada@acme.test")
	beta := k.org("Beta", "bea@beta.test")
	c := webtest.NewVisitorClient(t, k.srv)

	expired := k.inviteLink(o.ID, "exp@acme.test")
	revoked := k.inviteLink(o.ID, "rev@acme.test")
	k.member(beta.ID, "kept@beta.test")
	revokedKept := k.inviteLink(o.ID, "kept@beta.test")
	used := k.inviteLink(o.ID, "used@acme.test")
	if res := c.PostForm(used, named(nil)); res.Status != http.StatusSeeOther {
		t.Fatalf("accept: %d", res.Status)
	}
	for _, email := range []string{"rev@acme.test", "kept@beta.test"} {
		u, _ := k.dir.UserByEmail(context.Background(), email)
		if err := k.dir.RevokeInvitation(context.Background(), o.ID, u.ID, nil); err != nil {
			t.Fatal(err)
		}
	}

	other := webtest.NewVisitorClient(t, k.srv)
	wantPage(t, other.Get(used), http.StatusGone, `data-state="used"`, "This invitation has been used")
	wantPage(t, other.PostForm(used, nil), http.StatusGone, `data-state="used"`)
	for _, link := range []string{revoked, revokedKept} {
		res := other.Get(link)
		wantPage(t, res, http.StatusGone, `data-state="revoked"`, "Acme withdrew this invitation")
		if strings.Contains(res.Body, "@acme.test") || strings.Contains(res.Body, "@beta.test") {
			t.Errorf("a revoked link's page names someone:\n%s", res.Body)
		}
		wantPage(t, other.PostForm(link, nil), http.StatusGone, `data-state="revoked"`)
	}
	wantPage(t, other.Get("/invitations/not-a-real-token"), http.StatusNotFound, `data-state="unknown"`, "not valid")

	// Expired after 15 days: the page says so and offers to ask for a new one.
	k.srv.Clock.Advance(15*24*time.Hour + time.Second)
	wantPage(t, other.Get(expired), http.StatusGone, `data-state="expired"`, "This invitation has expired", "Ask Acme for a new invitation")
	wantPage(t, other.PostForm(expired, nil), http.StatusGone, `data-state="expired"`)
	res := other.PostForm(expired+"/renew", nil)
	if res.Status != http.StatusSeeOther || res.Location != expired {
		t.Fatalf("renew: %d → %q", res.Status, res.Location)
	}
	wantPage(t, other.Get(expired), http.StatusGone, "We let ed@roster.test know", `data-testid="invitation-asked"`)
	if n := len(webtest.OutboxTo(t, k.srv, "ed@roster.test")); n != 1 {
		t.Fatalf("%d mails to the inviter", n)
	}
	other.PostForm(expired+"/renew", nil)
	if n := len(webtest.OutboxTo(t, k.srv, "ed@roster.test")); n != 1 {
		t.Fatalf("asking twice sent %d mails", n)
	}
	// Resent from the console: the old link says a newer one came.
	u, _ := k.dir.UserByEmail(context.Background(), "exp@acme.test")
	k.srv.Clock.Advance(time.Second)
	if _, err := k.dir.ResendInvite(context.Background(), o.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	wantPage(t, other.Get(expired), http.StatusGone, "A newer invitation was sent")
	wantPage(t, other.Get(k.lastInviteLink("exp@acme.test")), http.StatusOK, `data-state="open"`)
}

func TestInvitationSetsAPassword(t *testing.T) {
	k := newInviteKit(t)
	o := k.org("Acme", "ada@acme.test")
	link := k.inviteLink(o.ID, "ann@acme.test")
	c := webtest.NewVisitorClient(t, k.srv)

	wantPage(t, c.Get(link), http.StatusOK, `name="password"`, "Set a password")
	res := c.PostForm(link, named(url.Values{"password": {"short"}}))
	wantPage(t, res, http.StatusUnprocessableEntity, `data-testid="error-password"`)
	if m := k.membership(o.ID, "ann@acme.test"); m.Status != model.StatusPendingInvite {
		t.Fatal("a refused password used the link")
	}
	if res := c.PostForm(link, named(url.Values{"password": {"correct horse battery staple"}})); res.Status != http.StatusSeeOther {
		t.Fatalf("accept with password: %d\n%.500s", res.Status, res.Body)
	}
	if n := k.count(`SELECT count(*) FROM password_credentials p JOIN users u ON u.id = p.user_id WHERE u.email = 'ann@acme.test'`); n != 1 {
		t.Fatal("no password set")
	}

	// With password sign-in off, the page offers none.
	if _, err := k.srv.DB.Exec(`UPDATE environment_settings SET password_signin_enabled = false`); err != nil {
		t.Fatal(err)
	}
	link = k.inviteLink(o.ID, "bob@acme.test")
	if strings.Contains(c.Get(link).Body, `name="password"`) {
		t.Error("a password field while password sign-in is off")
	}
	// A hand-made form's password is ignored then.
	if res := webtest.NewVisitorClient(t, k.srv).PostForm(link, named(url.Values{"password": {"correct horse battery staple"}})); res.Status != http.StatusSeeOther {
		t.Fatalf("accept: %d", res.Status)
	}
	if n := k.count(`SELECT count(*) FROM password_credentials p JOIN users u ON u.id = p.user_id WHERE u.email = 'bob@acme.test'`); n != 0 {
		t.Error("a password set while password sign-in is off")
	}
}

func TestInvitationWhileSignedInAsSomeoneElse(t *testing.T) {
	k := newInviteKit(t)
	o := k.org("Acme", "ada@acme.test")
	beta := k.org("Beta", "bea@beta.test")
	link := k.inviteLink(o.ID, "ann@acme.test")
	c := webtest.NewVisitorClient(t, k.srv)
	k.signins().signIn(c, "bea@beta.test")

	wantPage(t, c.Get(link), http.StatusOK, `data-testid="invitation-other-account"`,
		"You are signed in as", "bea@beta.test", "Sign out and accept as ann@acme.test")
	if res := c.PostForm(link, named(nil)); res.Status != http.StatusSeeOther {
		t.Fatalf("accept: %d", res.Status)
	}
	_, _, org := k.signins().session(c)
	if org == nil || *org != o.ID {
		t.Fatalf("session in %v", org)
	}
	if n := k.count(`SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'bea@beta.test' AND s.status = 'ACTIVE'`); n != 0 {
		t.Errorf("bea still has %d live sessions", n)
	}
	_ = beta
}

func TestMemberInvitePage(t *testing.T) {
	k := newInviteKit(t)
	o := k.org("Acme", "ada@acme.test")
	k.member(o.ID, "max@acme.test", "member")
	sk := k.signins()

	// A plain member may not invite: 403, even posting by hand.
	mc := webtest.NewVisitorClient(t, k.srv)
	sk.signIn(mc, "max@acme.test")
	wantPage(t, mc.Get("/org/"+o.ID+"/invite"), http.StatusForbidden)
	if res := mc.Get("/my-organizations"); strings.Contains(res.Body, `data-testid="invite-to-org"`) {
		t.Error("my organizations offers a plain member the invite form")
	}
	wantPage(t, mc.PostForm("/org/"+o.ID+"/invite", url.Values{"email": {"x@acme.test"}, "role": {"member"}}), http.StatusForbidden)
	if n := k.count(`SELECT count(*) FROM users WHERE email = 'x@acme.test'`); n != 0 {
		t.Fatal("a member invited someone")
	}
	// Not signed in: to sign-in.
	if res := webtest.NewVisitorClient(t, k.srv).Get("/org/" + o.ID + "/invite"); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/signin") {
		t.Fatalf("visitor: %d %q", res.Status, res.Location)
	}

	ac := webtest.NewVisitorClient(t, k.srv)
	sk.signIn(ac, "ada@acme.test")
	wantPage(t, ac.Get("/my-organizations"), http.StatusOK, `data-testid="invite-to-org"`, `href="/org/`+o.ID+`/invite"`)
	wantPage(t, ac.Get("/org/"+o.ID+"/invite"), http.StatusOK, "Invite someone to Acme", `value="admin"`)
	wantPage(t, ac.PostForm("/org/"+o.ID+"/invite", url.Values{"email": {"not an address"}, "role": {"member"}}),
		http.StatusUnprocessableEntity, `data-testid="error-email"`, "not an address")
	wantPage(t, ac.PostForm("/org/"+o.ID+"/invite", url.Values{"email": {"max@acme.test"}, "role": {"member"}}),
		http.StatusConflict, "already a member")
	res := ac.PostForm("/org/"+o.ID+"/invite", url.Values{"email": {"new@acme.test"}, "role": {"admin"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("invite: %d\n%.500s", res.Status, res.Body)
	}
	m := k.membership(o.ID, "new@acme.test")
	if m.Status != model.StatusPendingInvite || *m.InviterEmail != "ada@acme.test" || m.Roles[0].Name != "admin" {
		t.Fatalf("membership %+v", m)
	}
	// Another org's admin gets nothing here.
	k.org("Beta", "bea@beta.test")
	bc := webtest.NewVisitorClient(t, k.srv)
	sk.signIn(bc, "bea@beta.test")
	wantPage(t, bc.Get("/org/"+o.ID+"/invite"), http.StatusForbidden)
}

func TestInvitationMailWaitsForSMTP(t *testing.T) {
	sm := testkit.NewSMTPServer(t)
	k := newInviteKit(t)
	o := k.org("Acme", "ada@acme.test")
	ed := webtest.NewConsoleClient(t, k.srv, "ed@roster.test", adminauth.Editor)

	sm.Down()
	res := ed.PostForm("/organizations/"+o.ID+"/invitations/bulk/confirm", url.Values{"addresses": {"ann@acme.test"}})
	wantPage(t, res, http.StatusOK, `data-outcome="invite_new"`)
	if r := webtest.DeliverMail(t, k.srv, sm); r.Sent != 0 || r.Retried != 1 {
		t.Fatalf("while down: %+v", r)
	}
	if n := len(sm.Messages()); n != 0 {
		t.Fatalf("%d mails while down", n)
	}
	mails := webtest.OutboxTo(t, k.srv, "ann@acme.test")
	if len(mails) != 1 || mails[0].Status == "SENT" {
		t.Fatalf("outbox %+v", mails)
	}

	sm.Up()
	k.srv.Clock.Advance(time.Hour) // past the retry's back-off
	if r := webtest.DeliverMail(t, k.srv, sm); r.Sent != 1 {
		t.Fatalf("after up: %+v", r)
	}
	got := sm.MessagesTo("ann@acme.test")
	if len(got) != 1 {
		t.Fatalf("%d mails", len(got))
	}
	if r := webtest.DeliverMail(t, k.srv, sm); r.Claimed != 0 {
		t.Fatalf("sent again: %+v", r)
	}
	// The link works.
	c := webtest.NewVisitorClient(t, k.srv)
	if res := c.PostForm(strings.TrimPrefix(got[0].Links()[0], k.srv.URL), named(nil)); res.Status != http.StatusSeeOther {
		t.Fatalf("accept: %d", res.Status)
	}
}

// A person the invitation brought in gives a name and may set a password
// while accepting; both are checked, and the password signs in later.
func TestInvitationSetsUpANewPerson(t *testing.T) {
	k := newInviteKit(t)
	o := k.org("Acme", "ada@acme.test")
	link := k.inviteLink(o.ID, "ann@acme.test")
	c := webtest.NewVisitorClient(t, k.srv)

	wantPage(t, c.Get(link), http.StatusOK, `data-variant="new"`, `name="name"`, `name="password"`,
		"Accept and join Acme", `data-testid="invitation-decline"`)
	res := c.PostForm(link, url.Values{"name": {" "}, "password": {"password1"}})
	wantPage(t, res, http.StatusUnprocessableEntity, `data-testid="error-name"`, "Enter your name.", `data-testid="error-password"`)
	res = c.PostForm(link, url.Values{"name": {strings.Repeat("x", 256)}})
	wantPage(t, res, http.StatusUnprocessableEntity, `data-testid="error-name"`, "at most 255 characters")
	if m := k.membership(o.ID, "ann@acme.test"); m.Status != model.StatusPendingInvite {
		t.Fatal("a refused form used the link")
	}

	res = c.PostForm(link, url.Values{"name": {"Ann Archer"}, "password": {"correct horse battery staple"}})
	if res.Status != http.StatusSeeOther || res.Location != "/my-organizations" {
		t.Fatalf("accept: %d → %q\n%.500s", res.Status, res.Location, res.Body)
	}
	wantPage(t, c.Get(res.Location), http.StatusOK, `data-kind="success"`, "You joined Acme.")
	u, _ := k.dir.UserByEmail(context.Background(), "ann@acme.test")
	if u.Name == nil || *u.Name != "Ann Archer" || !u.EmailVerified {
		t.Fatalf("ann after accepting: name %v, verified %v", u.Name, u.EmailVerified)
	}
	other := webtest.NewVisitorClient(t, k.srv)
	res = other.PostForm("/signin/password", url.Values{"email": {"ann@acme.test"}, "password": {"correct horse battery staple"}})
	if res.Status != http.StatusSeeOther || other.Cookie("roster_session") == "" {
		t.Fatalf("password sign-in after accepting: %d\n%.500s", res.Status, res.Body)
	}
}

// An existing person (named, signed in before, or with a password) only
// accepts or declines: the page asks nothing, and a name or password
// posted by hand changes nothing.
func TestInvitationForAnExistingPerson(t *testing.T) {
	k := newInviteKit(t)
	o := k.org("Acme", "ada@acme.test")
	beta := k.org("Beta", "bob@beta.test")
	k.signins().signIn(webtest.NewVisitorClient(t, k.srv), "bob@beta.test") // bob has signed in before
	link := k.inviteLink(o.ID, "bob@beta.test")
	c := webtest.NewVisitorClient(t, k.srv)

	page := c.Get(link)
	wantPage(t, page, http.StatusOK, `data-variant="existing"`, "Accept and join Acme", `data-testid="invitation-decline"`, `data-testid="keep-signed-in"`)
	for _, field := range []string{`name="name"`, `name="password"`} {
		if strings.Contains(page.Body, field) {
			t.Errorf("the page for an existing person has %s", field)
		}
	}
	res := c.PostForm(link, url.Values{"name": {"Mallory"}, "password": {"correct horse battery staple"}})
	wantPage(t, res, http.StatusUnprocessableEntity, `data-testid="invitation-problem"`, "set up already")
	if n := k.count(`SELECT count(*) FROM password_credentials p JOIN users u ON u.id = p.user_id WHERE u.email = 'bob@beta.test'`); n != 0 {
		t.Fatal("a hand-made form set an existing person's password")
	}
	if n := k.count(`SELECT count(*) FROM users WHERE email = 'bob@beta.test' AND name IS NOT NULL`); n != 0 {
		t.Fatal("a hand-made form named an existing person")
	}
	res = c.PostForm(link, nil)
	if res.Status != http.StatusSeeOther || res.Location != "/choose-organization" && res.Location != "/my-organizations" {
		t.Fatalf("accept: %d → %q", res.Status, res.Location)
	}
	wantPage(t, c.Get("/my-organizations"), http.StatusOK, "You joined Acme.")
	if m := k.membership(o.ID, "bob@beta.test"); m.Status != model.StatusActive {
		t.Fatalf("bob in Acme: %s", m.Status)
	}
	_ = beta
}

// The invitee, signed in already, only accepts: their session moves into
// the org (it is not replaced), and an allowlisted return_to goes on to the
// app without a message for a page it never shows.
func TestInvitationForTheSignedInInvitee(t *testing.T) {
	k := newInviteKit(t)
	o := k.org("Acme", "ada@acme.test")
	k.org("Beta", "bob@beta.test")
	if _, err := k.srv.DB.Exec(`UPDATE environment_settings SET allowed_redirect_urls = '{https://app.acme.test}'`); err != nil {
		t.Fatal(err)
	}
	c := webtest.NewVisitorClient(t, k.srv)
	k.signins().signIn(c, "bob@beta.test")
	before, _, _ := k.signins().session(c)

	link := k.inviteLink(o.ID, "bob@beta.test")
	page := c.Get(link + "?return_to=" + url.QueryEscape("https://app.acme.test/welcome"))
	wantPage(t, page, http.StatusOK, `data-variant="invitee"`, "Accept and join Acme", `name="return_to" value="https://app.acme.test/welcome"`)
	if strings.Contains(page.Body, `data-testid="keep-signed-in"`) || strings.Contains(page.Body, `name="name"`) {
		t.Error("the signed-in invitee is asked to sign in or for a name")
	}
	res := c.PostForm(link, url.Values{"return_to": {"https://app.acme.test/welcome"}})
	if res.Status != http.StatusSeeOther || res.Location != "https://app.acme.test/welcome" {
		t.Fatalf("accept: %d → %q\n%.500s", res.Status, res.Location, res.Body)
	}
	after, status, org := k.signins().session(c)
	if after != before || status != "ACTIVE" || org == nil || *org != o.ID {
		t.Fatalf("session %s → %s (%s) in %v", before, after, status, org)
	}
	if strings.Contains(c.Get("/my-organizations").Body, "You joined") {
		t.Error("a message meant for a hosted page waited for the next one")
	}

	// A return_to off the allowlist is dropped: the hosted home, with the message.
	o2 := k.org("Cobalt", "cy@cobalt.test")
	link = k.inviteLink(o2.ID, "bob@beta.test")
	res = c.PostForm(link, url.Values{"return_to": {"https://evil.test/"}})
	if res.Status != http.StatusSeeOther || res.Location != "/my-organizations" {
		t.Fatalf("accept with a foreign return_to: %d → %q", res.Status, res.Location)
	}
	wantPage(t, c.Get(res.Location), http.StatusOK, "You joined Cobalt.")
}

// Declining asks first, then closes the invitation; the link says it was
// declined. In an environment that deletes users left without an org, a
// person with no other org loses the account the invitation made, and is
// told so before.
func TestInvitationDecline(t *testing.T) {
	k := newInviteKit(t)
	k.srv.DB.MustExec(`UPDATE environment_settings SET delete_users_without_memberships = true`)
	o := k.org("Acme", "ada@acme.test")
	beta := k.org("Beta", "bob@beta.test")

	// A new person, not signed in.
	link := k.inviteLink(o.ID, "nia@acme.test")
	c := webtest.NewVisitorClient(t, k.srv)
	wantPage(t, c.Get(link+"/decline"), http.StatusOK, `data-testid="invitation-decline-confirm"`,
		"Decline the invitation to Acme?", `data-testid="decline-deletes-account"`, `data-testid="confirm-decline"`)
	if m := k.membership(o.ID, "nia@acme.test"); m.Status != model.StatusPendingInvite {
		t.Fatal("opening the confirmation declined")
	}
	res := c.PostForm(link+"/decline", nil)
	if res.Status != http.StatusSeeOther || res.Location != link {
		t.Fatalf("decline: %d → %q", res.Status, res.Location)
	}
	page := c.Get(link)
	wantPage(t, page, http.StatusGone, `data-state="declined"`, "This invitation was declined", "You declined the invitation to Acme.")
	if strings.Contains(page.Body, "nia@acme.test") {
		t.Error("the declined link's page names the invitee")
	}
	if n := k.count(`SELECT count(*) FROM users WHERE email = 'nia@acme.test'`); n != 0 {
		t.Error("the account the invitation made is still there")
	}
	wantPage(t, c.PostForm(link+"/decline", nil), http.StatusGone, `data-state="declined"`)
	wantPage(t, c.PostForm(link, named(nil)), http.StatusGone, `data-state="declined"`)

	// The signed-in invitee, a member elsewhere: back to their organizations.
	bc := webtest.NewVisitorClient(t, k.srv)
	k.signins().signIn(bc, "bob@beta.test")
	link = k.inviteLink(o.ID, "bob@beta.test")
	page = bc.Get(link + "/decline")
	wantPage(t, page, http.StatusOK, `data-testid="confirm-decline"`)
	if strings.Contains(page.Body, `data-testid="decline-deletes-account"`) {
		t.Error("the confirmation says bob's account goes")
	}
	res = bc.PostForm(link+"/decline", nil)
	if res.Status != http.StatusSeeOther || res.Location != "/my-organizations" {
		t.Fatalf("bob declines: %d → %q", res.Status, res.Location)
	}
	wantPage(t, bc.Get("/my-organizations"), http.StatusOK, "You declined the invitation to Acme.")
	if m := k.membership(beta.ID, "bob@beta.test"); m.Status != model.StatusActive {
		t.Error("declining touched bob's other org")
	}
	if _, status, _ := k.signins().session(bc); status != "ACTIVE" {
		t.Errorf("bob's session is %s", status)
	}

	// Unknown links: the link's own page, nothing declined.
	wantPage(t, c.Get("/invitations/not-a-real-token/decline"), http.StatusNotFound, `data-state="unknown"`)
	wantPage(t, c.PostForm("/invitations/not-a-real-token/decline", nil), http.StatusNotFound, `data-state="unknown"`)
}
