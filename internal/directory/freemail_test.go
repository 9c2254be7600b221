package directory_test

import (
	"testing"

	"roster/internal/apperr"
	"roster/internal/directory"
	"roster/internal/model"
)

func TestBlockedEmailDomain(t *testing.T) {
	t.Parallel()
	both := model.EnvironmentSettings{BlockPublicEmailDomains: true, BlockDisposableEmailDomains: true}
	publicOnly := model.EnvironmentSettings{BlockPublicEmailDomains: true}
	none := model.EnvironmentSettings{}
	for _, tc := range []struct {
		env    model.EnvironmentSettings
		email  string
		domain string // "" when allowed
	}{
		{both, "ann@gmail.com", "gmail.com"},
		{both, "Ann@GMail.COM", "gmail.com"},
		{both, "ann@mail.gmail.com", "mail.gmail.com"},
		{both, "ann@gmail.com.", "gmail.com"},
		{both, "ann@mailinator.com", "mailinator.com"},
		{both, "ann@acme.com", ""},
		{both, "gmail.com@acme.com", ""},
		{both, "ann@notgmail.com", ""},
		{both, "no-at-sign", ""},
		{publicOnly, "ann@gmail.com", "gmail.com"},
		{publicOnly, "ann@mailinator.com", ""},
		{none, "ann@gmail.com", ""},
	} {
		b, blocked := directory.BlockedEmailDomain(tc.env, tc.email)
		if blocked != (tc.domain != "") || b.Domain != tc.domain {
			t.Errorf("%s (public %v, disposable %v): %v %+v, want %q", tc.email,
				tc.env.BlockPublicEmailDomains, tc.env.BlockDisposableEmailDomains, blocked, b, tc.domain)
		}
	}
	if b, _ := directory.BlockedEmailDomain(both, "ann@gmail.com"); b.String() != "gmail.com, a public email provider" {
		t.Errorf("public: %q", b)
	}
	if b, _ := directory.BlockedEmailDomain(both, "ann@yopmail.com"); b.String() != "yopmail.com, a disposable email service" {
		t.Errorf("disposable: %q", b)
	}
}

// Every way the directory sends an invitation refuses an address at a
// blocked domain, and leaves nothing behind; adding a member without an
// invitation is the app owner's own provisioning and stays open.
func TestInvitationsRefuseBlockedDomains(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	acme := f.org("Acme")
	invite := directory.MembershipInput{SendInvitation: true}
	wantEmailRefused := func(what string, err error) {
		t.Helper()
		if fe := apperr.FieldErrors(err); fe["email"] == "" {
			t.Fatalf("%s: %v, want a refusal on the field email", what, err)
		}
	}

	_, err := f.dir.AddMember(f.ctx, acme.ID, directory.UserInput{Email: ptr("ann@gmail.com")}, invite)
	wantEmailRefused("invite", err)
	_, err = f.dir.AddMember(f.ctx, acme.ID, directory.UserInput{Email: ptr("bob@mailinator.com")}, invite)
	wantEmailRefused("invite disposable", err)
	_, err = f.dir.CreateOrganizationInvitingAdmin(f.ctx, directory.OrganizationInput{DisplayName: ptr("Globex")}, "cy@outlook.com", "owner@roster.test")
	if fe := apperr.FieldErrors(err); fe["admin_email"] == "" {
		t.Fatalf("new org with a gmail admin: %v, want a refusal on admin_email", err)
	}
	if n := f.count(`SELECT count(*) FROM users`) + f.count(`SELECT count(*) FROM memberships`) +
		f.count(`SELECT count(*) FROM email_outbox`) + f.count(`SELECT count(*) FROM organizations WHERE display_name = 'Globex'`); n != 0 {
		t.Fatalf("refused invitations left %d rows behind", n)
	}

	// Added directly: no invitation, no check.
	dee := f.member(acme.ID, "dee@gmail.com")
	if m, _ := membershipIn(dee, acme.ID); m.Status != model.StatusActive {
		t.Errorf("dee is %s", m.Status)
	}

	// Invited while the block was off; with it on again, no reminder goes.
	if _, err := f.db.Exec(`UPDATE environment_settings SET block_public_email_domains = false`); err != nil {
		t.Fatal(err)
	}
	eve, err := f.dir.AddMember(f.ctx, acme.ID, directory.UserInput{Email: ptr("eve@gmail.com")}, invite)
	if err != nil {
		t.Fatalf("invite with the block off: %v", err)
	}
	if _, err := f.db.Exec(`UPDATE environment_settings SET block_public_email_domains = true`); err != nil {
		t.Fatal(err)
	}
	_, err = f.dir.ResendInvite(f.ctx, acme.ID, eve.ID)
	wantEmailRefused("resend", err)
	_, err = f.dir.AddMember(f.ctx, acme.ID, directory.UserInput{Email: ptr("eve@gmail.com")}, invite)
	wantEmailRefused("invite again", err)
	if n := f.count(`SELECT count(*) FROM email_outbox WHERE to_address = 'eve@gmail.com'`); n != 1 {
		t.Errorf("%d mails to eve, want the first invitation only", n)
	}
	if n := f.count(`SELECT resent_count FROM memberships WHERE user_id = $1`, eve.ID); n != 0 {
		t.Errorf("resent_count %d after refused resends", n)
	}
}
