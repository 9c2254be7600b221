package adminauth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"roster/internal/adminauth"
	"roster/internal/apperr"
	"roster/internal/clock"
	"roster/internal/config"
	"roster/internal/store"
	"roster/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func newService(t *testing.T) (*adminauth.Service, *store.Store, *clock.Fake) {
	t.Helper()
	st := store.New(testkit.NewDB(t))
	clk := clock.NewFake(testkit.Epoch)
	return adminauth.New(st, clk), st, clk
}

func TestPolicy(t *testing.T) {
	p := adminauth.NewPolicy(
		[]config.AdminEmailRule{
			{Email: "ann@acme.com", Role: "owner"},
			{Email: "pinned@acme.com", Role: "viewer"},
			{Domain: "acme.com", Role: "viewer"},
		},
		[]config.AdminClaimRule{
			{Claim: "groups", Value: "roster-editors", Role: "editor"},
			{Claim: "groups", Value: "roster-owners", Role: "owner"},
			{Claim: "dept", Value: "ops", Role: "viewer"},
		},
	)
	groups := func(g ...any) map[string]any { return map[string]any{"groups": g} }
	tests := []struct {
		name     string
		email    string
		verified bool
		claims   map[string]any
		want     adminauth.Role
	}{
		{"exact email", "ann@acme.com", true, nil, adminauth.Owner},
		{"email is case-insensitive", "Ann@ACME.com", true, nil, adminauth.Owner},
		{"domain", "bob@acme.com", true, nil, adminauth.Viewer},
		{"subdomain is another domain", "bob@eu.acme.com", true, nil, ""},
		{"unverified email matches no email rule", "ann@acme.com", false, nil, ""},
		{"unverified email, but a group", "ann@acme.com", false, groups("roster-editors"), adminauth.Editor},
		{"domain and a higher group: the higher", "bob@acme.com", true, groups("x", "roster-owners"), adminauth.Owner},
		{"exact email decides alone", "pinned@acme.com", true, groups("roster-owners"), adminauth.Viewer},
		{"string claim", "eve@other.com", true, map[string]any{"dept": "ops"}, adminauth.Viewer},
		{"no match", "eve@other.com", true, groups("roster-viewers"), ""},
		{"no email at all, no claims", "", false, nil, ""},
		{"object claim never matches", "eve@other.com", true, map[string]any{"groups": map[string]any{"roster-owners": true}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.RoleFor(tt.email, tt.verified, tt.claims); got != tt.want {
				t.Errorf("RoleFor(%q, %v, %v) = %q, want %q", tt.email, tt.verified, tt.claims, got, tt.want)
			}
		})
	}
}

func TestRoles(t *testing.T) {
	for _, tt := range []struct {
		role, min adminauth.Role
		want      bool
	}{
		{adminauth.Owner, adminauth.Editor, true},
		{adminauth.Editor, adminauth.Editor, true},
		{adminauth.Viewer, adminauth.Editor, false},
		{adminauth.Editor, adminauth.Owner, false},
		{"root", adminauth.Viewer, false},
	} {
		if got := tt.role.AtLeast(tt.min); got != tt.want {
			t.Errorf("%q.AtLeast(%q) = %v", tt.role, tt.min, got)
		}
	}
	var none *adminauth.Session
	if none.CanWrite() || none.IsOwner() || none.Has(adminauth.Viewer) {
		t.Error("a nil session may do something")
	}
}

func TestSessionLifecycle(t *testing.T) {
	svc, st, clk := newService(t)
	ctx := context.Background()
	var idle, lifetime time.Duration = 2 * time.Hour, 12 * time.Hour // the schema's defaults

	sess, token, err := svc.Start(ctx, adminauth.Identity{Email: "Ann@Acme.com", Subject: "s1", Issuer: "https://idp", Role: adminauth.Editor, IP: "10.0.0.1", UserAgent: "test"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(token) < 43 { // 256 bits in base32 is 52 characters
		t.Errorf("token %q is short", token)
	}
	if sess.Email != "ann@acme.com" || sess.Role != adminauth.Editor ||
		!sess.IdleExpiresAt.Equal(testkit.Epoch.Add(idle)) || !sess.AbsoluteExpiresAt.Equal(testkit.Epoch.Add(lifetime)) {
		t.Errorf("session = %+v", sess)
	}
	var stored int
	if err := st.DB().Get(&stored, `SELECT count(*) FROM admin_sessions WHERE token_hash = sha256(convert_to($1, 'UTF8'))`, token); err != nil || stored != 1 {
		t.Fatalf("the token's SHA-256 is not what is stored (%d rows, %v)", stored, err)
	}
	if err := st.DB().Get(&stored, `SELECT count(*) FROM admin_sessions WHERE position(convert_to($1, 'UTF8') in token_hash) > 0`, token); err != nil || stored != 0 {
		t.Fatal("the token itself is stored")
	}

	t.Run("authenticate, touching at most once a minute", func(t *testing.T) {
		clk.Advance(30 * time.Second)
		got, err := svc.Authenticate(ctx, token)
		if err != nil || got == nil || got.ID != sess.ID {
			t.Fatalf("Authenticate = %v, %v", got, err)
		}
		if !got.LastActiveAt.Equal(testkit.Epoch) {
			t.Errorf("touched after 30 s: last active %v", got.LastActiveAt)
		}
		clk.Advance(31 * time.Second)
		got, err = svc.Authenticate(ctx, token)
		if err != nil || got == nil {
			t.Fatalf("Authenticate after a minute = %v, %v", got, err)
		}
		if want := clk.Now(); !got.LastActiveAt.Equal(want) || !got.IdleExpiresAt.Equal(want.Add(idle)) {
			t.Errorf("after 61 s: last active %v, idle expiry %v", got.LastActiveAt, got.IdleExpiresAt)
		}
	})

	t.Run("unknown and empty tokens are no session", func(t *testing.T) {
		for _, tok := range []string{"", "nope", token + "x"} {
			if got, err := svc.Authenticate(ctx, tok); got != nil || err != nil {
				t.Errorf("Authenticate(%q) = %v, %v", tok, got, err)
			}
		}
	})

	t.Run("idle timeout", func(t *testing.T) {
		_, tok, _ := svc.Start(ctx, adminauth.Identity{Email: "idle@acme.com", Role: adminauth.Viewer}, "")
		clk.Advance(idle - time.Second)
		if got, _ := svc.Authenticate(ctx, tok); got == nil {
			t.Fatal("expired before the idle timeout")
		}
		clk.Advance(idle - time.Second) // active a moment ago: the expiry slid
		if got, _ := svc.Authenticate(ctx, tok); got == nil {
			t.Fatal("the idle expiry did not slide")
		}
		clk.Advance(idle)
		if got, _ := svc.Authenticate(ctx, tok); got != nil {
			t.Fatal("alive after the idle timeout")
		}
	})

	t.Run("absolute lifetime, however active", func(t *testing.T) {
		_, tok, _ := svc.Start(ctx, adminauth.Identity{Email: "busy@acme.com", Role: adminauth.Viewer}, "")
		for elapsed := time.Duration(0); elapsed < lifetime-time.Hour; elapsed += time.Hour {
			clk.Advance(time.Hour)
			if got, _ := svc.Authenticate(ctx, tok); got == nil {
				t.Fatalf("expired after %v of activity", elapsed+time.Hour)
			}
		}
		clk.Advance(time.Hour)
		if got, _ := svc.Authenticate(ctx, tok); got != nil {
			t.Fatal("alive past the absolute lifetime")
		}
	})

	t.Run("sign-in rotates the session", func(t *testing.T) {
		first, tok1, _ := svc.Start(ctx, adminauth.Identity{Email: "rot@acme.com", Role: adminauth.Owner}, "")
		second, tok2, err := svc.Start(ctx, adminauth.Identity{Email: "rot@acme.com", Role: adminauth.Owner}, tok1)
		if err != nil || second.ID == first.ID || tok2 == tok1 {
			t.Fatalf("second sign-in: %v, same id %v", err, second.ID == first.ID)
		}
		if got, _ := svc.Authenticate(ctx, tok1); got != nil {
			t.Error("the earlier session survived a new sign-in in the same browser")
		}
		if got, _ := svc.Authenticate(ctx, tok2); got == nil {
			t.Error("the new session does not work")
		}
	})

	t.Run("sign-out and ending by id", func(t *testing.T) {
		_, tok, _ := svc.Start(ctx, adminauth.Identity{Email: "out@acme.com", Role: adminauth.Viewer}, "")
		if err := svc.SignOut(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if got, _ := svc.Authenticate(ctx, tok); got != nil {
			t.Error("alive after sign-out")
		}
		if err := svc.SignOut(ctx, tok); err != nil {
			t.Errorf("second sign-out: %v", err)
		}

		other, tok3, _ := svc.Start(ctx, adminauth.Identity{Email: "victim@acme.com", Role: adminauth.Editor}, "")
		list, err := svc.List(ctx)
		if err != nil || !containsSession(list, other.ID) {
			t.Fatalf("List lacks the live session: %v", err)
		}
		if _, err := svc.End(ctx, other.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := svc.Authenticate(ctx, tok3); got != nil {
			t.Error("alive after being ended")
		}
		if list, _ := svc.List(ctx); containsSession(list, other.ID) {
			t.Error("an ended session is listed")
		}
		if _, err := svc.End(ctx, other.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("ending twice: %v, want not found", err)
		}
	})

	var actions []string
	if err := st.DB().Select(&actions, `SELECT DISTINCT action FROM audit_events ORDER BY action`); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"admin.signed_in", "admin.signed_out", "admin_session.ended"} {
		if !contains(actions, want) {
			t.Errorf("no %s audit event; have %v", want, actions)
		}
	}
}

func TestLoginLinks(t *testing.T) {
	svc, st, clk := newService(t)
	ctx := context.Background()

	if _, _, err := svc.CreateLoginLink(ctx, "not an email"); !errors.Is(err, apperr.ErrInvalid) {
		t.Errorf("bad email: %v", err)
	}
	token, expires, err := svc.CreateLoginLink(ctx, "Owner@Example.com")
	if err != nil {
		t.Fatal(err)
	}
	if !expires.Equal(testkit.Epoch.Add(15 * time.Minute)) {
		t.Errorf("expires %v", expires)
	}
	var purpose, email string
	if err := st.DB().QueryRow(`SELECT purpose, email FROM one_time_tokens WHERE token_hash = sha256(convert_to($1, 'UTF8'))`, token).Scan(&purpose, &email); err != nil {
		t.Fatalf("the link's hash is not stored: %v", err)
	}
	if purpose != "admin_login" || email != "owner@example.com" {
		t.Errorf("stored purpose %q email %q", purpose, email)
	}

	if got, err := svc.CheckLoginLink(ctx, token); err != nil || got != "owner@example.com" {
		t.Fatalf("CheckLoginLink = %q, %v", got, err)
	}
	sess, sessToken, err := svc.RedeemLoginLink(ctx, token, adminauth.Identity{IP: "10.1.1.1"}, "")
	if err != nil || sess.Role != adminauth.Owner || sess.Email != "owner@example.com" || sess.IP != "10.1.1.1" {
		t.Fatalf("RedeemLoginLink = %+v, %v", sess, err)
	}
	if got, _ := svc.Authenticate(ctx, sessToken); got == nil {
		t.Error("the link's session does not work")
	}
	if _, _, err := svc.RedeemLoginLink(ctx, token, adminauth.Identity{}, ""); !errors.Is(err, adminauth.ErrLinkUsed) {
		t.Errorf("second use: %v, want ErrLinkUsed", err)
	}
	if _, err := svc.CheckLoginLink(ctx, token); !errors.Is(err, adminauth.ErrLinkUsed) {
		t.Errorf("check after use: %v", err)
	}

	late, _, _ := svc.CreateLoginLink(ctx, "owner@example.com")
	clk.Advance(15 * time.Minute)
	if _, _, err := svc.RedeemLoginLink(ctx, late, adminauth.Identity{}, ""); !errors.Is(err, adminauth.ErrLinkExpired) {
		t.Errorf("after 15 minutes: %v, want ErrLinkExpired", err)
	}
	if _, _, err := svc.RedeemLoginLink(ctx, "made-up", adminauth.Identity{}, ""); !errors.Is(err, adminauth.ErrLinkUnknown) {
		t.Errorf("unknown link: %v", err)
	}

	t.Run("two requests racing with one link: one wins", func(t *testing.T) {
		tok, _, _ := svc.CreateLoginLink(ctx, "race@example.com")
		errs := make(chan error, 2)
		for range 2 {
			go func() {
				_, _, err := svc.RedeemLoginLink(ctx, tok, adminauth.Identity{}, "")
				errs <- err
			}()
		}
		e1, e2 := <-errs, <-errs
		if (e1 == nil) == (e2 == nil) {
			t.Errorf("results %v and %v: want exactly one success", e1, e2)
		}
	})
}

func containsSession(list []adminauth.Session, id string) bool {
	for _, s := range list {
		if s.ID == id {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
