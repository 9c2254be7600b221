package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"roster/internal/adminauth"
	"roster/web/webtest"
)

// Pages say what Roster does: feature flags are stored entitlements it
// does not act on, domains stay pending and route nobody, and the block
// setting names where it applies.
func TestHonestOrgAndSettingsPages(t *testing.T) {
	t.Parallel()
	k := newOrgKit(t)
	ed, vic := k.editor(), k.viewer()
	o := k.org("Globex", "hank@globex.test")
	base := "/organizations/" + o.ID

	for name, c := range map[string]*webtest.ConsoleClient{"editor": ed, "viewer": vic} {
		res := c.Get(base)
		wantStatus(t, name+" overview", res, http.StatusOK)
		orgWantText(t, name+" overview", res.Body, "Entitlement flags", `data-testid="features-note"`,
			"Roster does not act on them yet", "Roster has no SSO connections yet", "Roster has no SCIM endpoint yet")
		if n := strings.Count(res.Body, `data-testid="feature-stored"`); n != 4 {
			t.Errorf("%s overview: %d flags marked stored only, want 4", name, n)
		}
		orgLacksText(t, name+" overview", res.Body, "sign in through the organization's identity provider",
			"provisions and removes members")
	}

	res := ed.Get(base + "/domains")
	orgWantText(t, "no domains", res.Body, "does not check DNS records or route anyone by domain yet")
	orgLacksText(t, "domain form", res.Body, "routes its users to SSO", "offered to join the organization with one click")
	res = ed.PostForm(base+"/domains", url.Values{"domain": {"globex.example"}, "domain_type": {"ORGANIZATION_DOMAIN"}})
	page := orgFollow(t, ed, "add domain", res, base+"/domains")
	orgWantText(t, "pending domain", page.Body, "Added globex.example. It stays pending: Roster does not check DNS records yet.",
		`data-status="PENDING"`, `data-testid="domain-effect" data-domain="globex.example">Pending.`,
		"nobody is sent to SSO or added to the organization because of it", "When Roster checks DNS, it will look for this TXT record")
	orgFollow(t, ed, "add allowed", ed.PostForm(base+"/domains", url.Values{"domain": {"globex.test"}, "domain_type": {"ALLOWED_EMAIL_DOMAIN"}}), base+"/domains")
	page = ed.Get(base + "/domains")
	orgWantText(t, "allowed domain", page.Body, `data-testid="domain-effect" data-domain="globex.test">Recorded without proof.`,
		"Roster does not offer the organization to people at this domain yet")
	orgLacksText(t, "domains", page.Body, "To prove the organization owns", "sends its people to the organization")
	var id string
	k.srv.DB.Get(&id, `SELECT id FROM organization_domains WHERE domain = 'globex.example'`)
	res = ed.Get(base + "/domains/" + id + "/delete")
	orgWantText(t, "remove domain", res.Body, "Another organization may claim globex.example")
	orgLacksText(t, "remove domain", res.Body, "no longer sent to the organization")

	owner := webtest.NewConsoleClient(t, k.srv, "owner@roster.test", adminauth.Owner)
	res = owner.Get("/settings")
	wantStatus(t, "settings", res, http.StatusOK)
	orgWantText(t, "settings", res.Body, "Nobody new signs up or is invited with an address at gmail.com")
	orgLacksText(t, "settings", res.Body, "as organization domains.")
}
