package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func loadWith(env map[string]string) (Config, error) {
	return Load(func(name string) string { return env[name] })
}

func TestAdminSignInSettings(t *testing.T) {
	idp := map[string]string{
		"ROSTER_ADMIN_OIDC_ISSUER":        "https://acme.okta.com",
		"ROSTER_ADMIN_OIDC_CLIENT_ID":     "roster",
		"ROSTER_ADMIN_OIDC_CLIENT_SECRET": "s3cret",
	}
	with := func(extra map[string]string) map[string]string {
		env := map[string]string{}
		for k, v := range idp {
			env[k] = v
		}
		for k, v := range extra {
			env[k] = v
		}
		return env
	}

	t.Run("setup mode by default", func(t *testing.T) {
		c, err := loadWith(nil)
		if err != nil || c.AdminOIDCIssuer != "" || c.AdminBootstrapEmail != "owner@localhost" {
			t.Fatalf("%+v %v", c, err)
		}
	})

	t.Run("rules", func(t *testing.T) {
		c, err := loadWith(with(map[string]string{
			"ROSTER_ADMIN_ALLOWED": " Ann@Acme.com=owner, @acme.com=viewer ,",
			"ROSTER_ADMIN_CLAIM":   "groups:roster-owners=owner,roles:urn:x:admin=editor",
		}))
		if err != nil {
			t.Fatal(err)
		}
		wantEmails := []AdminEmailRule{{Email: "ann@acme.com", Role: "owner"}, {Domain: "acme.com", Role: "viewer"}}
		wantClaims := []AdminClaimRule{{"groups", "roster-owners", "owner"}, {"roles", "urn:x:admin", "editor"}}
		if !reflect.DeepEqual(c.AdminAllowed, wantEmails) || !reflect.DeepEqual(c.AdminClaims, wantClaims) {
			t.Errorf("allowed %+v\nclaims %+v", c.AdminAllowed, c.AdminClaims)
		}
	})

	t.Run("plain http only for localhost", func(t *testing.T) {
		for _, issuer := range []string{"http://127.0.0.1:9998", "http://localhost:8080/realms/x"} {
			if _, err := loadWith(with(map[string]string{"ROSTER_ADMIN_OIDC_ISSUER": issuer, "ROSTER_ADMIN_ALLOWED": "@a.com=viewer"})); err != nil {
				t.Errorf("%s: %v", issuer, err)
			}
		}
	})

	for _, tt := range []struct {
		name    string
		env     map[string]string
		setting string
	}{
		{"http issuer", with(map[string]string{"ROSTER_ADMIN_OIDC_ISSUER": "http://idp.example.com", "ROSTER_ADMIN_ALLOWED": "@a.com=viewer"}), "ROSTER_ADMIN_OIDC_ISSUER"},
		{"not a URL", with(map[string]string{"ROSTER_ADMIN_OIDC_ISSUER": "acme.okta.com", "ROSTER_ADMIN_ALLOWED": "@a.com=viewer"}), "ROSTER_ADMIN_OIDC_ISSUER"},
		{"no client id", with(map[string]string{"ROSTER_ADMIN_OIDC_CLIENT_ID": "", "ROSTER_ADMIN_ALLOWED": "@a.com=viewer"}), "ROSTER_ADMIN_OIDC_CLIENT_ID"},
		{"no secret", with(map[string]string{"ROSTER_ADMIN_OIDC_CLIENT_SECRET": "", "ROSTER_ADMIN_ALLOWED": "@a.com=viewer"}), "ROSTER_ADMIN_OIDC_CLIENT_SECRET"},
		{"nobody could enter", with(nil), "ROSTER_ADMIN_ALLOWED"},
		{"rules without issuer", map[string]string{"ROSTER_ADMIN_ALLOWED": "@a.com=viewer"}, "ROSTER_ADMIN_ALLOWED"},
		{"secret without issuer", map[string]string{"ROSTER_ADMIN_OIDC_CLIENT_SECRET": "x"}, "ROSTER_ADMIN_OIDC_CLIENT_SECRET"},
		{"unknown role", with(map[string]string{"ROSTER_ADMIN_ALLOWED": "ann@acme.com=admin"}), "ROSTER_ADMIN_ALLOWED"},
		{"no role", with(map[string]string{"ROSTER_ADMIN_ALLOWED": "ann@acme.com"}), "ROSTER_ADMIN_ALLOWED"},
		{"not an email", with(map[string]string{"ROSTER_ADMIN_ALLOWED": "ann=owner"}), "ROSTER_ADMIN_ALLOWED"},
		{"listed twice", with(map[string]string{"ROSTER_ADMIN_ALLOWED": "ann@acme.com=owner,ANN@acme.com=viewer"}), "ROSTER_ADMIN_ALLOWED"},
		{"claim without value", with(map[string]string{"ROSTER_ADMIN_CLAIM": "groups=owner"}), "ROSTER_ADMIN_CLAIM"},
		{"claim with bad role", with(map[string]string{"ROSTER_ADMIN_CLAIM": "groups:x=root"}), "ROSTER_ADMIN_CLAIM"},
		{"bad bootstrap email", map[string]string{"ROSTER_ADMIN_BOOTSTRAP_EMAIL": "me"}, "ROSTER_ADMIN_BOOTSTRAP_EMAIL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadWith(tt.env)
			var se *SettingError
			if !errors.As(err, &se) || se.Name != tt.setting {
				t.Fatalf("error %v, want one naming %s", err, tt.setting)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Error("the error shows the client secret")
			}
		})
	}
}
