package web_test

import (
	"bytes"
	"context"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"roster/internal/adminauth"
	"roster/internal/directory"
	"roster/internal/model"
	"roster/web/webtest"
)

// inviteKit sets up organizations and people for the invitation tests
// through the directory, as the API would.
type inviteKit struct {
	t   *testing.T
	srv *webtest.Server
	dir *directory.Service
}

func newInviteKit(t *testing.T, opts ...webtest.ServerOption) inviteKit {
	t.Helper()
	srv := webtest.NewServer(t, opts...)
	dir := directory.New(srv.Store, srv.Clock)
	dir.BaseURL = srv.Deps.Config.PublicURL.String()
	return inviteKit{t: t, srv: srv, dir: dir}
}

// org creates an organization with adminEmail as its active admin.
func (k inviteKit) org(name, adminEmail string) model.Organization {
	k.t.Helper()
	o, _, err := k.dir.CreateOrganizationWithCreator(context.Background(),
		directory.OrganizationInput{DisplayName: &name}, directory.UserInput{Email: &adminEmail})
	if err != nil {
		k.t.Fatal(err)
	}
	return o
}

func (k inviteKit) member(orgID, email string, roles ...string) model.User {
	k.t.Helper()
	u, err := k.dir.AddMember(context.Background(), orgID, directory.UserInput{Email: &email}, directory.MembershipInput{Roles: roles})
	if err != nil {
		k.t.Fatal(err)
	}
	return u
}

func (k inviteKit) count(query string, args ...any) int {
	k.t.Helper()
	var n int
	if err := k.srv.DB.Get(&n, query, args...); err != nil {
		k.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (k inviteKit) membership(orgID, email string) model.Membership {
	k.t.Helper()
	u, err := k.dir.UserByEmail(context.Background(), email)
	if err != nil {
		k.t.Fatalf("user %s: %v", email, err)
	}
	m, err := k.srv.Store.Membership(context.Background(), u.ID, orgID)
	if err != nil {
		k.t.Fatalf("membership of %s: %v", email, err)
	}
	return m
}

func wantPage(t *testing.T, res *webtest.PageResponse, status int, contains ...string) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status %d, want %d: %s", res.Status, status, res.Body)
	}
	body := html.UnescapeString(res.Body)
	for _, c := range contains {
		if !strings.Contains(body, c) {
			t.Errorf("page does not say %q", c)
		}
	}
}

func TestBulkInviteConsole(t *testing.T) {
	k := newInviteKit(t)
	o := k.org("Acme", "ada@acme.test")
	k.member(o.ID, "max@acme.test")
	ed := webtest.NewConsoleClient(t, k.srv, "ed@roster.test", adminauth.Editor)
	base := "/organizations/" + o.ID + "/invitations/bulk"

	res := ed.Get(base)
	wantPage(t, res, http.StatusOK, `data-testid="bulk-form"`, "The default member role (member)")

	// Nothing typed: the field says so, beside itself.
	res = ed.PostForm(base, url.Values{"addresses": {"  "}})
	wantPage(t, res, http.StatusUnprocessableEntity, `data-testid="error-addresses"`, "has no addresses")

	// The preview says what will happen, and writes nothing.
	list := "ann@acme.test\nnot-an-address\nmax@acme.test\nbob@acme.test,admin\nann@acme.test"
	users, outbox := k.count(`SELECT count(*) FROM users`), k.count(`SELECT count(*) FROM email_outbox`)
	res = ed.PostForm(base, url.Values{"addresses": {list}, "role": {""}})
	wantPage(t, res, http.StatusOK, `data-testid="bulk-preview-title"`,
		`data-email="ann@acme.test" data-outcome="invite_new"`,
		`data-email="not-an-address" data-outcome="bad_address"`, "not an email address: it has no @",
		`data-email="max@acme.test" data-outcome="already_member"`,
		`data-email="bob@acme.test" data-outcome="invite_new"`,
		`data-outcome="duplicate"`, "listed already on line 1",
		"Send 2 invitations", "2 people new to Roster will be invited.")
	if k.count(`SELECT count(*) FROM users`) != users || k.count(`SELECT count(*) FROM email_outbox`) != outbox {
		t.Fatal("the preview wrote something")
	}

	// "Change the list" brings the list back into the form.
	res = ed.PostForm(base+"/edit", url.Values{"addresses": {list}, "role": {"admin"}})
	wantPage(t, res, http.StatusOK, `data-testid="bulk-form"`, "not-an-address", `<option value="admin" selected>`)

	// A role that is not the org's: beside the select, list kept.
	res = ed.PostForm(base, url.Values{"addresses": {list}, "role": {"owner"}})
	wantPage(t, res, http.StatusUnprocessableEntity, `data-testid="error-role"`, "not-an-address")

	// Confirm sends the good ones.
	res = ed.PostForm(base+"/confirm", url.Values{"addresses": {list}, "role": {""}})
	wantPage(t, res, http.StatusOK, `data-testid="bulk-done-title">2 of 5 sent<`, "Invited 2 people new to Roster.",
		`data-email="ann@acme.test" data-outcome="invite_new"`)
	if m := k.membership(o.ID, "bob@acme.test"); m.Status != model.StatusPendingInvite || m.Roles[0].Name != "admin" || *m.InviterEmail != "ed@roster.test" {
		t.Errorf("bob: %+v", m)
	}
	if m := k.membership(o.ID, "ann@acme.test"); m.Roles[0].Name != "member" {
		t.Errorf("ann's roles %+v", m.Roles)
	}
	if n := k.count(`SELECT count(*) FROM email_outbox WHERE kind = 'invitation'`); n != 2 {
		t.Errorf("%d invitation mails", n)
	}

	// Sending the same list again reminds instead of inviting twice.
	res = ed.PostForm(base, url.Values{"addresses": {"ann@acme.test"}})
	wantPage(t, res, http.StatusOK, `data-outcome="remind"`)
}

func TestBulkInviteCSVUpload(t *testing.T) {
	k := newInviteKit(t)
	o := k.org("Acme", "ada@acme.test")
	ed := webtest.NewConsoleClient(t, k.srv, "ed@roster.test", adminauth.Editor)
	base := "/organizations/" + o.ID + "/invitations/bulk"

	post := func(csv, typed string) *webtest.PageResponse {
		t.Helper()
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		w.WriteField("csrf_token", ed.CSRFToken())
		w.WriteField("addresses", typed)
		fw, _ := w.CreateFormFile("file", "people.csv")
		fw.Write([]byte(csv))
		w.Close()
		req, _ := http.NewRequest(http.MethodPost, k.srv.URL+base, &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		resp, err := ed.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return &webtest.PageResponse{Status: resp.StatusCode, Body: b.String()}
	}

	res := post("email,role\nann@acme.test,admin\nbob@acme.test,\n", "")
	wantPage(t, res, http.StatusOK, `data-email="ann@acme.test" data-outcome="invite_new"`, `data-email="bob@acme.test"`,
		// The preview carries the list on as text, whatever it came from.
		`value="ann@acme.test,admin`)
	res = post("name\nann\n", "")
	wantPage(t, res, http.StatusUnprocessableEntity, `data-testid="error-file"`, "needs a header line")
	res = post("email\nann@acme.test\n", "bob@acme.test")
	wantPage(t, res, http.StatusUnprocessableEntity, `data-testid="error-file"`, "not both")
}

func TestBulkInviteRefusals(t *testing.T) {
	k := newInviteKit(t)
	o := k.org("Acme", "ada@acme.test")
	base := "/organizations/" + o.ID + "/invitations/bulk"
	vic := webtest.NewConsoleClient(t, k.srv, "vic@roster.test", adminauth.Viewer)
	// Viewers see nothing to send with and may not post, even by hand.
	for _, path := range []string{base, base + "/confirm", base + "/edit"} {
		if res := vic.PostForm(path, url.Values{"addresses": {"ann@acme.test"}}); res.Status != http.StatusForbidden {
			t.Errorf("viewer POST %s: %d", path, res.Status)
		}
	}
	if n := k.count(`SELECT count(*) FROM users WHERE email = 'ann@acme.test'`); n != 0 {
		t.Error("a viewer invited someone")
	}
	ed := webtest.NewConsoleClient(t, k.srv, "ed@roster.test", adminauth.Editor)
	missing := "/organizations/org_aaaaaaaaaaaaaaaaaaaaaaaaaa/invitations/bulk"
	if res := ed.Get(missing); res.Status != http.StatusNotFound {
		t.Errorf("unknown org GET: %d", res.Status)
	}
	if res := ed.PostForm(missing, url.Values{"addresses": {"ann@acme.test"}}); res.Status != http.StatusNotFound {
		t.Errorf("unknown org preview: %d", res.Status)
	}
	if res := ed.PostForm(missing+"/confirm", url.Values{"addresses": {"ann@acme.test"}}); res.Status != http.StatusNotFound {
		t.Errorf("unknown org confirm: %d", res.Status)
	}
	// One org's own roles are not another's.
	beta := k.org("Beta", "bea@beta.test")
	if _, err := k.dir.CreateOrgRole(context.Background(), beta.ID, directory.RoleInput{Name: "beta_only"}); err != nil {
		t.Fatal(err)
	}
	res := ed.PostForm(base, url.Values{"addresses": {"ann@acme.test,beta_only"}})
	wantPage(t, res, http.StatusOK, `data-outcome="bad_role"`)
	if strings.Contains(ed.Get(base).Body, "beta_only") {
		t.Error("another org's role is offered")
	}
}

// TestBulkInviteSendsWhatItPreviewed: a row the send would refuse shows
// failing in the preview, with the send's reason; the result counts what
// went out ("2 of 3 sent", "No invitations sent"); an invitation the expiry
// job marked expired is previewed and sent as a new one.
func TestBulkInviteSendsWhatItPreviewed(t *testing.T) {
	k := newInviteKit(t)
	o := k.org("Acme", "ada@acme.test")
	ctx := context.Background()
	// busy@ has had its five invitation mails this hour: a sixth is refused.
	busy, err := k.dir.AddMember(ctx, o.ID, directory.UserInput{Email: ptr("busy@acme.test")}, directory.MembershipInput{SendInvitation: true})
	if err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if _, err := k.dir.ResendInvite(ctx, o.ID, busy.ID); err != nil {
			t.Fatal(err)
		}
	}
	// The setup owner invites.
	owner := webtest.NewConsoleClient(t, k.srv, "owner@localhost", adminauth.Owner)
	base := "/organizations/" + o.ID + "/invitations/bulk"

	list := "ann@acme.test\nbusy@acme.test\nbob@acme.test"
	res := owner.PostForm(base, url.Values{"addresses": {list}})
	wantPage(t, res, http.StatusOK, `data-testid="bulk-preview-title"`,
		`data-email="busy@acme.test" data-outcome="remind"`, "Will fail", "too many invitations sent lately",
		"1 invitation will fail and not be sent", "Send 2 invitations")
	res = owner.PostForm(base+"/confirm", url.Values{"addresses": {list}})
	wantPage(t, res, http.StatusOK, `data-testid="bulk-done-title">2 of 3 sent<`, "Failed", "too many invitations sent lately",
		"1 invitation failed: see why below.")
	if strings.Contains(res.Body, "Invitations sent") {
		t.Error("the result says every invitation was sent")
	}
	for _, e := range []string{"ann@acme.test", "bob@acme.test"} {
		if m := k.membership(o.ID, e); m.Status != model.StatusPendingInvite || m.InviterEmail != nil {
			t.Errorf("%s: %s, inviter %v", e, m.Status, m.InviterEmail)
		}
	}

	// Nothing to send: the preview has no send button, and a send anyway
	// says nothing went.
	res = owner.PostForm(base, url.Values{"addresses": {"busy@acme.test"}})
	wantPage(t, res, http.StatusOK, "Nothing would be sent.")
	if strings.Contains(res.Body, `data-testid="bulk-confirm"`) {
		t.Error("a preview sending nothing offers to send")
	}
	res = owner.PostForm(base+"/confirm", url.Values{"addresses": {"busy@acme.test"}})
	wantPage(t, res, http.StatusOK, `data-testid="bulk-done-title">No invitations sent<`)

	// An expired invitation (marked so by the job) is invited again.
	k.srv.Clock.Advance(16 * 24 * time.Hour)
	if n := runExpiryJob(t, k.srv); n < 1 {
		t.Fatalf("the expiry job marked %d", n)
	}
	if m := k.membership(o.ID, "ann@acme.test"); m.Status != model.StatusInviteExpired {
		t.Fatalf("ann: %s", m.Status)
	}
	owner = webtest.NewConsoleClient(t, k.srv, "owner@localhost", adminauth.Owner) // the old session timed out
	res = owner.PostForm(base, url.Values{"addresses": {"ann@acme.test"}})
	wantPage(t, res, http.StatusOK, `data-email="ann@acme.test" data-outcome="reinvite"`, "Expired: new invitation", "Send 1 invitation")
	res = owner.PostForm(base+"/confirm", url.Values{"addresses": {"ann@acme.test"}})
	wantPage(t, res, http.StatusOK, `data-testid="bulk-done-title">1 invitation sent<`, "Invited again")
	if m := k.membership(o.ID, "ann@acme.test"); m.Status != model.StatusPendingInvite {
		t.Errorf("ann after the send: %s", m.Status)
	}
	// One at a time too: the invite form invites an expired invitee again.
	k.srv.Clock.Advance(16 * 24 * time.Hour)
	runExpiryJob(t, k.srv)
	owner = webtest.NewConsoleClient(t, k.srv, "owner@localhost", adminauth.Owner)
	res = owner.PostForm("/organizations/"+o.ID+"/invitations", url.Values{"email": {"bob@acme.test"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("inviting an expired invitee: %d\n%.2000s", res.Status, res.Body)
	}
	if m := k.membership(o.ID, "bob@acme.test"); m.Status != model.StatusPendingInvite {
		t.Errorf("bob after the invite form: %s", m.Status)
	}
}

func ptr[T any](v T) *T { return &v }
