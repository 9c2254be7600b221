package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"roster/internal/adminauth"
	"roster/internal/apiclients"
	"roster/internal/directory"
	"roster/internal/model"
	"roster/internal/social"
	"roster/internal/testkit"
	"roster/web/webtest"
)

// Every page, console and hosted, laid out with realistic (long) content
// at 1280×900 and on a 390 px phone, in light and dark colours:
//
//   - nothing is wider than the window;
//   - no table is wider than its card, and every row's buttons and links
//     are on screen, without scrolling sideways;
//   - text, muted text above all, has WCAG AA contrast (4.5:1, 3:1 for
//     large text) against the background it is drawn on.
//
// A new page is one more line in the table below. Screenshots of each page
// at both widths land in testdata/screenshots (layout-<page>-1280.png,
// layout-<page>-390.png).
func TestLayoutOfEveryPageInBrowser(t *testing.T) {
	f := newLayoutFixture(t)

	pages := []layoutPage{
		// Signed out: the console's sign-in, hosted sign-in steps, links
		// from mail, and the pages of links that no longer work.
		{name: "console-login", who: asVisitor, path: "/login", wait: "login"},
		{name: "console-login-link", who: asVisitor, path: "/login/link/" + f.adminLink, wait: "login-link"},
		{name: "console-login-link-dead", who: asVisitor, path: "/login/link/no-such-link", wait: "sign-in-problem"},
		{name: "error-404-visitor", who: asVisitor, path: "/no/such/page", wait: "error-page"},
		{name: "signin", who: asVisitor, path: "/signin", wait: "signin"},
		{name: "signin-methods", who: asVisitor, open: f.openMethods, wait: "signin-methods"},
		{name: "signin-code", who: asVisitor, open: f.openCode, wait: "signin-code"},
		{name: "signin-sent", who: asVisitor, open: f.openSent, wait: "signin-sent"},
		{name: "signup", who: asVisitor, path: "/signup?email=" + url.QueryEscape(f.newcomer), wait: "signup"},
		{name: "signin-forgot", who: asVisitor, path: "/signin/forgot?email=" + url.QueryEscape(f.hostedEmail), wait: "forgot"},
		{name: "signin-link", who: asVisitor, path: f.magicLink, wait: "signin-link"},
		{name: "signin-verify", who: asVisitor, path: f.verifyLink, wait: "signin-link"},
		{name: "signin-reset", who: asVisitor, path: f.resetLink, wait: "signin-link"},
		{name: "signin-link-dead", who: asVisitor, path: "/signin/link/no-such-link", wait: "hosted-notice"},
		{name: "signin-social-confirm", who: asVisitor, open: f.openSocialConfirm, wait: "social-confirm"},
		{name: "signin-social-expired", who: asVisitor, path: "/signin/social/" + f.socialID + "/callback", wait: "social-problem"},
		{name: "signin-social-unavailable", who: asVisitor, path: "/signin/social/conn_aaaaaaaaaaaaaaaaaaaaaaaaaa", wait: "social-problem"},
		{name: "invitation", who: asVisitor, path: f.invitationOpen, wait: "invitation"},
		{name: "invitation-used", who: asVisitor, path: f.invitationUsed, wait: "invitation-closed"},
		{name: "invitation-revoked", who: asVisitor, path: f.invitationRevoked, wait: "invitation-closed"},
		{name: "invitation-expired", who: asVisitor, path: f.invitationExpired, wait: "invitation-closed"},
		{name: "invitation-unknown", who: asVisitor, path: "/invitations/no-such-invitation", wait: "invitation-closed"},

		// The console, as an owner (who sees every page and button).
		{name: "home", who: asOwner, path: "/", wait: "page-title"},
		{name: "orgs", who: asOwner, path: "/organizations", wait: "orgs-table"},
		{name: "org-new", who: asOwner, path: "/organizations/new", wait: "page-title"},
		{name: "org", who: asOwner, path: f.org("", ""), wait: "page-title"},
		{name: "org-members", who: asOwner, path: f.org("/members", ""), wait: "members-table"},
		{name: "org-member", who: asOwner, path: f.org("/members/", f.memberID), wait: "page-title"},
		{name: "org-member-remove", who: asOwner, path: f.org("/members/", f.memberID+"/remove"), wait: "page-title"},
		{name: "org-invitations", who: asOwner, path: f.org("/invitations", ""), wait: "invitations-table"},
		{name: "org-invitation-revoke", who: asOwner, path: f.org("/invitations/", f.inviteeID+"/revoke"), wait: "page-title"},
		{name: "org-bulk-invite", who: asOwner, path: f.org("/invitations/bulk", ""), wait: "bulk-form"},
		{name: "org-bulk-preview", who: asOwner, open: f.openBulkPreview, wait: "bulk-table"},
		{name: "org-domains", who: asOwner, path: f.org("/domains", ""), wait: "domains-table"},
		{name: "org-domain-remove", who: asOwner, path: f.org("/domains/", f.domainID+"/delete"), wait: "page-title"},
		{name: "org-roles", who: asOwner, path: f.org("/roles", ""), wait: "roles-table"},
		{name: "org-role-delete", who: asOwner, path: f.org("/roles/", f.orgRole+"/delete"), wait: "page-title"},
		{name: "org-delete", who: asOwner, path: f.org("/delete", ""), wait: "page-title"},
		{name: "users", who: asOwner, path: "/users", wait: "users-table"},
		{name: "user", who: asOwner, path: "/users/" + f.hostedUserID, wait: "sessions-table"},
		{name: "user-edit", who: asOwner, path: "/users/" + f.hostedUserID + "/edit", wait: "page-title"},
		{name: "user-delete", who: asOwner, path: "/users/" + f.hostedUserID + "/delete", wait: "page-title"},
		{name: "user-sessions-revoke", who: asOwner, path: "/users/" + f.hostedUserID + "/sessions/revoke", wait: "page-title"},
		{name: "roles", who: asOwner, path: "/roles", wait: "roles-table"},
		{name: "role-new", who: asOwner, path: "/roles/new", wait: "page-title"},
		{name: "role-edit", who: asOwner, path: "/roles/" + f.role + "/edit", wait: "page-title"},
		{name: "role-delete", who: asOwner, path: "/roles/" + f.role + "/delete", wait: "page-title"},
		{name: "permission-new", who: asOwner, path: "/permissions/new", wait: "page-title"},
		{name: "permission-edit", who: asOwner, path: "/permissions/" + f.permission + "/edit", wait: "page-title"},
		{name: "permission-delete", who: asOwner, path: "/permissions/" + f.permission + "/delete", wait: "page-title"},
		{name: "api-clients", who: asOwner, path: "/api-clients", wait: "clients-table"},
		{name: "api-client-created", who: asOwner, open: f.openClientCreated, wait: "client-created"},
		{name: "api-client-revoke", who: asOwner, path: "/api-clients/" + f.clientID + "/revoke", wait: "page-title"},
		{name: "audit", who: asOwner, path: "/audit", wait: "page-title"},
		{name: "audit-entry", who: asOwner, path: "/audit/" + f.auditID, wait: "page-title"},
		{name: "settings", who: asOwner, path: "/settings", wait: "page-title"},
		{name: "social-providers", who: asOwner, path: "/settings/social-providers", wait: "providers-table"},
		{name: "social-provider-new", who: asOwner, path: "/settings/social-providers/new", wait: "provider-form"},
		{name: "social-provider-edit", who: asOwner, path: "/settings/social-providers/" + f.socialID + "/edit", wait: "provider-form"},
		{name: "social-provider-remove", who: asOwner, path: "/settings/social-providers/" + f.socialID + "/delete", wait: "delete-provider-title"},
		{name: "admin-sessions", who: asOwner, path: "/admin-sessions", wait: "admin-sessions-table"},
		{name: "mailbox", who: asOwner, path: "/dev/mailbox", wait: "mailbox-table"},
		{name: "mailbox-mail", who: asOwner, path: "/dev/mailbox/" + f.mailID, wait: "page-title"},
		{name: "styleguide", who: asOwner, path: "/_styleguide", wait: "members-table"},
		{name: "error-404-console", who: asOwner, path: "/organizations/org_aaaaaaaaaaaaaaaaaaaaaaaaaa", wait: "error-page"},

		// Hosted pages of a signed-in end user in several organizations.
		{name: "my-orgs", who: asMember, path: "/my-organizations", wait: "my-orgs"},
		{name: "choose-org", who: asMember, path: "/choose-organization", wait: "page-title"},
		{name: "leave-org", who: asMember, path: "/my-organizations/" + f.otherOrgID + "/leave", wait: "page-title"},
		{name: "decline-invitation", who: asMember, path: "/my-organizations/" + f.invitingOrgID + "/decline", wait: "page-title"},
		{name: "org-invite", who: asMember, path: "/org/" + f.orgID + "/invite", wait: "page-title"},
		{name: "invitation-other-account", who: asMember, path: f.invitationOpen, wait: "invitation-other-account"},
		{name: "error-404-hosted", who: asMember, path: "/my-organizations/org_aaaaaaaaaaaaaaaaaaaaaaaaaa/leave", wait: "hosted-notice"},
	}

	b := f.browser
	var as layoutViewer
	for _, pg := range pages {
		if pg.who != as {
			f.become(pg.who)
			as = pg.who
		}
		b.Desktop()
		b.ColorScheme("light")
		if pg.open != nil {
			pg.open()
		} else {
			b.Run(chromedp.Navigate(f.srv.URL + pg.path))
		}
		b.Run(chromedp.WaitVisible(chromedp.CSS(`[data-testid="` + pg.wait + `"]`)))
		if p := b.Problems(); len(p) != 0 {
			t.Errorf("%s: %s", pg.name, strings.Join(p, "; "))
		}
		for _, width := range []int{testkit.DesktopWidth, testkit.PhoneWidth} {
			if width == testkit.PhoneWidth {
				b.Phone()
			}
			for _, scheme := range []string{"dark", "light"} {
				b.ColorScheme(scheme)
				for _, problem := range layoutProblems(b, width) {
					t.Errorf("%s at %d px (%s): %s", pg.name, width, scheme, problem)
				}
			}
			b.Screenshot(fmt.Sprintf("layout-%s-%d", pg.name, width))
		}
	}
}

// layoutViewer is who the browser is signed in as for a page.
type layoutViewer string

const (
	asVisitor layoutViewer = "visitor" // nobody
	asOwner   layoutViewer = "owner"   // a console owner
	asMember  layoutViewer = "member"  // an end user, admin of one org and member of others
)

// layoutPage is one page the layout test visits.
type layoutPage struct {
	name string // in failures and screenshot names
	who  layoutViewer
	path string // opened with GET…
	open func() // …or reached the way a person does (a page that answers a form)
	wait string // data-testid of an element the page shows
}

// layoutProblems measures the page as it is laid out now in a window width
// px wide and says what is wrong with it.
func layoutProblems(b *testkit.Browser, width int) []string {
	return testkit.Result(b, chromedp.Evaluate[[]string](fmt.Sprintf("(%s)(%d)", layoutProbe, width)))
}

// layoutProbe runs in the page. Text counts when an element holds a
// non-blank text node of its own (or is a form control showing a value); its
// background is found by blending the background colours of it and its
// ancestors up to the first opaque one. Disabled-looking controls (opacity
// below 1) are exempt, as WCAG exempts inactive components.
const layoutProbe = `((vw) => {
  // Colours fade for a moment when the scheme changes: measure where they end.
  for (const a of document.getAnimations()) {
    try { a.finish(); } catch (e) { /* an endless animation */ }
  }
  const problems = [];
  // A phone browser widens its layout to a page that does not fit (and
  // zooms out): the screen's width is the measure, not innerWidth.
  if (window.innerWidth > vw) problems.push("the page is " + window.innerWidth + " px wide: the browser zoomed out to show it");
  const describe = (el) => {
    const cls = typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().split(/\s+/).join(".") : "";
    const holder = el.closest("[data-testid]");
    const where = holder ? " in [" + holder.getAttribute("data-testid") + "]" : "";
    const text = (el.textContent || el.value || "").trim().replace(/\s+/g, " ").slice(0, 40);
    return el.tagName.toLowerCase() + cls + where + ' "' + text + '"';
  };
  const shown = (el) => {
    if (el.closest(".visually-hidden") || el.getClientRects().length === 0) return false;
    const s = getComputedStyle(el);
    return s.visibility === "visible" && s.display !== "none";
  };

  // Nothing wider than the window. Name the culprits: the innermost
  // elements that cannot be made narrower than the window.
  const page = document.documentElement.scrollWidth;
  if (page > vw) {
    const tooWide = (el) => {
      const r = el.getBoundingClientRect();
      if (r.right <= vw + 0.5 && r.width <= vw) return false;
      const width = el.style.width;
      el.style.width = "min-content";
      const least = el.getBoundingClientRect().width;
      el.style.width = width;
      return r.right > vw + 0.5 && getComputedStyle(el).position === "fixed" || least > vw - 16;
    };
    const wide = [...document.body.querySelectorAll("*")].filter((el) => shown(el) && tooWide(el));
    const innermost = wide.filter((el) => !wide.some((other) => other !== el && el.contains(other)));
    problems.push("the page is " + page + " px wide: " + innermost.slice(0, 4).map(describe).join("; "));
  }

  // Tables fit their card; every row's controls are on screen.
  for (const table of document.querySelectorAll("table")) {
    if (!shown(table)) continue;
    const card = table.closest(".table-wrap, .card");
    const name = table.getAttribute("data-testid") || "a table";
    if (!card) {
      problems.push(name + " is not in a card");
      continue;
    }
    if (table.getBoundingClientRect().width > card.clientWidth + 0.5 || table.scrollWidth > card.clientWidth) {
      problems.push(name + " is " + Math.round(table.getBoundingClientRect().width) + " px wide in a card of " + card.clientWidth + " px");
    }
    const box = card.getBoundingClientRect();
    const off = [...table.querySelectorAll("tbody a, tbody button")].filter((el) => {
      if (!shown(el)) return false;
      const r = el.getBoundingClientRect();
      return r.right > Math.min(vw, box.right) + 0.5 || r.left < Math.max(0, box.left) - 0.5;
    });
    if (off.length > 0) {
      problems.push(off.length + " row controls of " + name + " are off screen, e.g. " + describe(off[0]));
    }
  }

  // Contrast.
  const parse = (c) => {
    let m = c.match(/^rgba?\(([^)]*)\)$/);
    let scale = 1;
    if (!m) {
      m = c.match(/^color\(srgb ([^)]*)\)$/);
      scale = 255;
    }
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return [p[0] * scale, p[1] * scale, p[2] * scale, p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) => {
    const a = top[3] + under[3] * (1 - top[3]);
    return [0, 1, 2].map((i) => (top[i] * top[3] + under[i] * under[3] * (1 - top[3])) / a).concat([a]);
  };
  const unparsed = new Set();
  const backgroundOf = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const raw = getComputedStyle(e).backgroundColor;
      const c = parse(raw);
      if (!c) { unparsed.add(raw); continue; }
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let bg = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  };
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const opaque = (el) => {
    for (let e = el; e; e = e.parentElement) if (parseFloat(getComputedStyle(e).opacity) < 1) return false;
    return true;
  };
  const low = new Map();
  for (const el of document.body.querySelectorAll("*")) {
    if (["SCRIPT", "STYLE", "NOSCRIPT", "OPTION", "svg"].includes(el.tagName) || el.closest("svg")) continue;
    const control = el.matches("input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=file]), textarea, select");
    const hasText = control ? (el.value || "").trim() !== "" :
      [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim() !== "");
    if (!hasText || !shown(el) || !opaque(el)) continue;
    const s = getComputedStyle(el);
    let fg = parse(s.color);
    if (!fg) { unparsed.add(s.color); continue; }
    const bg = backgroundOf(el);
    if (fg[3] < 1) fg = over(fg, bg);
    const [l1, l2] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const size = parseFloat(s.fontSize), weight = parseInt(s.fontWeight, 10);
    const need = size >= 24 || (size >= 18.66 && weight >= 700) ? 3 : 4.5;
    if (ratio < need) {
      const key = describe(el).replace(/ ".*$/, "") + " " + s.color + " on " + bg.map(Math.round).slice(0, 3).join(",");
      if (!low.has(key)) low.set(key, { ratio, need, example: describe(el), count: 0 });
      low.get(key).count++;
    }
  }
  for (const [key, v] of low) {
    problems.push("contrast " + v.ratio.toFixed(2) + ":1 < " + v.need + ":1 for " + v.count + "× " + key + ", e.g. " + v.example);
  }
  for (const raw of unparsed) problems.push("the probe cannot read the colour " + raw);
  return problems;
})`

// layoutFixture is an environment as a real one looks after some use: long
// names and addresses everywhere, several organizations, many members,
// invitations in every state, roles, domains, API clients, social
// providers, an audit log and mail in the dev mailbox.
type layoutFixture struct {
	t       *testing.T
	srv     *webtest.Server
	dir     *directory.Service
	browser *testkit.Browser
	idp     *testkit.OIDCProvider

	hostedEmail, hostedUserID, hostedSession string
	newcomer                                 string // has no account
	orgID, otherOrgID, invitingOrgID         string
	memberID, inviteeID, domainID, orgRole   string
	role, permission, clientID, socialID     string
	auditID, mailID, adminLink               string
	magicLink, verifyLink, resetLink         string
	invitationOpen, invitationUsed           string
	invitationRevoked, invitationExpired     string
}

func newLayoutFixture(t *testing.T) *layoutFixture {
	t.Helper()
	ctx := context.Background()
	hostedEmail := "maximilian.alexander.wolfeschlegelsteinhausen@engineering.northwind-traders-international.example"
	idp := testkit.NewSocialOIDCProvider(t, testkit.OIDCUser{Email: hostedEmail, EmailVerified: true})
	srv := webtest.NewServer(t)
	dir := directory.New(srv.Store, srv.Clock)
	dir.BaseURL = srv.Deps.Config.PublicURL.String()
	f := &layoutFixture{t: t, srv: srv, dir: dir, idp: idp, hostedEmail: hostedEmail,
		newcomer: "bartholomew.fitzgerald-montgomery.the-third@procurement.contoso-holdings-worldwide.example"}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	str := func(s string) *string { return &s }
	exec := func(query string, args ...any) {
		t.Helper()
		_, err := srv.DB.Exec(query, args...)
		must(err)
	}
	exec(`UPDATE environment_settings SET app_name = 'Northwind Traders Customer Portal for Enterprise Accounts'`)

	// Permissions and roles, environment-wide, with long names and words.
	permissions := []string{
		"billing.invoices:read", "billing.invoices:write", "billing.payment-methods:manage",
		"projects.repositories.deployments:approve-production-releases", "reports.financial:export",
	}
	for _, p := range permissions {
		_, err := dir.CreatePermission(ctx, directory.PermissionInput{Name: p,
			Description: str("Lets a member " + strings.ReplaceAll(p, ":", " ") + " across every project and workspace of the organization, including archived ones.")})
		must(err)
	}
	f.permission = permissions[3]
	f.role = "regional_finance_controller_with_export_rights"
	_, err := dir.CreateRole(ctx, directory.RoleInput{Name: f.role, DisplayName: str("Regional finance controller (with export rights)"),
		Description: str("Approves invoices and exports financial reports for the whole region; cannot change payment methods or invite members."),
		Permissions: &permissions})
	must(err)
	_, err = dir.CreateRole(ctx, directory.RoleInput{Name: "deployment_approver", DisplayName: str("Deployment approver"),
		Description: str("Approves production releases."), Extends: str(f.role), Permissions: &[]string{permissions[3]}})
	must(err)

	// Organizations: one big one run by the hosted user, two more they
	// belong to, one that invites them.
	newOrg := func(name, slug, admin string) string {
		t.Helper()
		o, _, err := dir.CreateOrganizationWithCreator(ctx, directory.OrganizationInput{DisplayName: &name, Slug: &slug,
			ExternalID: str("salesforce-account-0015g00000-" + slug),
			Metadata:   model.Metadata{"billing_plan": "enterprise-annual-prepaid", "account_manager": "priya.raghunathan@roster-customer-success.example"}},
			directory.UserInput{Email: &admin})
		must(err)
		return o.ID
	}
	f.orgID = newOrg("Northwind Traders International Holdings & Subsidiaries of the Greater Metropolitan Area (EMEA)",
		"northwind-traders-international-holdings-emea", hostedEmail)
	f.otherOrgID = newOrg("Contoso Pharmaceuticals Research & Development Laboratories, Basel Campus",
		"contoso-pharmaceuticals-research-basel", "rosalind.chakraborty-villanueva@research.contoso-pharmaceuticals.example")
	f.invitingOrgID = newOrg("Fabrikam Renewable Energy Cooperative of Northern Scandinavia and the Baltic States",
		"fabrikam-renewable-energy-cooperative", "sven.oskarsson-lindqvist@fabrikam-renewable-energy-cooperative.example")
	for i := 0; i < 6; i++ {
		newOrg(fmt.Sprintf("Tailspin Toys Manufacturing & Distribution Division %d (Asia-Pacific)", i+1),
			fmt.Sprintf("tailspin-toys-division-%d", i+1), fmt.Sprintf("plant-manager-%d@tailspin-toys-manufacturing.example", i+1))
	}
	u, err := dir.UserByEmail(ctx, hostedEmail)
	must(err)
	f.hostedUserID = u.ID
	_, err = dir.UpdateUser(ctx, u.ID, directory.UserInput{GivenName: str("Maximilian Alexander"), FamilyName: str("Wolfeschlegelsteinhausen-Bergerdorff"),
		Name: str("Maximilian Alexander Wolfeschlegelsteinhausen-Bergerdorff"), ExternalID: str("okta|00u1a2b3c4d5e6f7g8h9-northwind-emea"),
		Metadata: model.Metadata{"cost_center": "EMEA-FIN-00042-controlling", "department": "Group Controlling & Treasury"}})
	must(err)
	_, err = dir.AddMember(ctx, f.otherOrgID, directory.UserInput{Email: &hostedEmail}, directory.MembershipInput{})
	must(err)

	// Many members with long addresses and several roles.
	first := []string{"alexandra", "bartholomew", "cassandra", "demetrius", "evangeline", "fitzgerald", "guinevere", "hieronymus", "isadora", "jebediah"}
	for i := 0; i < 24; i++ {
		email := fmt.Sprintf("%s.%s-%02d@customer-success.northwind-traders-international.example", first[i%len(first)], "van-der-westhuizen-oyelaran", i)
		roles := []string{"member"}
		if i%3 == 0 {
			roles = []string{"admin", f.role, "deployment_approver"}
		}
		m, err := dir.AddMember(ctx, f.orgID, directory.UserInput{Email: &email,
			Name: str(strings.ToUpper(first[i%len(first)][:1]) + first[i%len(first)][1:] + " van der Westhuizen-Oyelaran")},
			directory.MembershipInput{Roles: roles})
		must(err)
		if i == 1 {
			f.memberID = m.ID
		}
	}
	// Invitations: pending ones in the big org, and links in every state.
	invite := func(orgID, email string) string {
		t.Helper()
		inviter := "helpdesk-escalations-team-lead@roster-operations.northwind-traders-international.example"
		u, err := dir.AddMember(ctx, orgID, directory.UserInput{Email: &email},
			directory.MembershipInput{InviterEmail: &inviter, SendInvitation: true, Roles: []string{"member", f.role}})
		must(err)
		if orgID == f.orgID && f.inviteeID == "" {
			f.inviteeID = u.ID
		}
		return f.lastLink(email)
	}
	for i := 0; i < 5; i++ {
		invite(f.orgID, fmt.Sprintf("external.auditor.%02d.kowalczyk-abernathy@assurance.deloitte-touche-tohmatsu-partners.example", i))
	}
	f.invitationOpen = invite(f.orgID, f.newcomer)
	f.invitationUsed = invite(f.orgID, "ottoline.featherstonehaugh@guest.northwind-traders-international.example")
	f.invitationRevoked = invite(f.orgID, "revoked.guest.marchbanks@guest.northwind-traders-international.example")
	f.invitationExpired = invite(f.orgID, "expired.guest.cholmondeley@guest.northwind-traders-international.example")
	invite(f.invitingOrgID, hostedEmail)
	used := webtest.NewVisitorClient(t, srv)
	wantStatus(t, "accepting an invitation", used.PostForm(f.invitationUsed, url.Values{"name": {"Used Link"}}), http.StatusSeeOther)
	revokedUser, err := dir.UserByEmail(ctx, "revoked.guest.marchbanks@guest.northwind-traders-international.example")
	must(err)
	must(dir.RevokeInvitation(ctx, f.orgID, revokedUser.ID, nil))
	exec(`UPDATE memberships SET status = 'INVITE_EXPIRED' WHERE user_id = (SELECT id FROM users WHERE email = $1)`,
		"expired.guest.cholmondeley@guest.northwind-traders-international.example")

	// Domains and an org role.
	for _, d := range []string{"engineering.northwind-traders-international.example", "customer-success.northwind-traders-international.example"} {
		dom, err := dir.CreateDomain(ctx, f.orgID, directory.NewDomain{Domain: d, DomainType: directory.DomainTypeOrganization})
		must(err)
		if f.domainID == "" {
			f.domainID = dom.ID
		}
	}
	_, err = dir.CreateDomain(ctx, f.orgID, directory.NewDomain{Domain: "subsidiary-acquisitions-2025.northwind-traders-international.example", DomainType: directory.DomainTypeAllowedEmail})
	must(err)
	f.orgRole = "emea_procurement_approver_above_threshold"
	_, err = dir.CreateOrgRole(ctx, f.orgID, directory.RoleInput{Name: f.orgRole, DisplayName: str("EMEA procurement approver (orders above €250,000)"),
		Description: str("Signs off purchase orders above the regional threshold; only for the procurement leads of the EMEA subsidiaries."),
		Permissions: &[]string{permissions[0], permissions[1], permissions[4]}})
	must(err)

	// API clients.
	clients := apiclients.New(srv.Store, srv.Clock, apiclients.Options{SecretKey: srv.Deps.SecretKey, Issuer: srv.URL})
	for _, name := range []string{"Billing synchronisation service (production, eu-central-1)", "Data warehouse nightly export to Snowflake", "Zapier"} {
		c, _, err := clients.Create(ctx, name)
		must(err)
		if f.clientID == "" {
			f.clientID = c.ID
		}
	}

	// Social providers: a real one (trust off, so a known address must be
	// confirmed by mail) and two more buttons.
	socials := social.New(srv.Store, srv.Clock, srv.Deps.SecretKey, srv.URL)
	no := false
	p, err := socials.Create(ctx, social.ProviderInput{Kind: social.KindOIDC, DisplayName: "Northwind Workforce Identity (Okta EMEA tenant)",
		Issuer: idp.Issuer, ClientID: idp.ClientID, ClientSecret: idp.ClientSecret, Enabled: true, TrustEmailVerified: &no})
	must(err)
	f.socialID = p.ID
	_, err = socials.Create(ctx, social.ProviderInput{Kind: social.KindGoogle, DisplayName: "Google", ClientID: "123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com",
		ClientSecret: "GOCSPX-not-a-real-secret", Enabled: true})
	must(err)
	_, err = socials.Create(ctx, social.ProviderInput{Kind: social.KindMicrosoft, DisplayName: "Microsoft Entra ID",
		Issuer: "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0", ClientID: "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
		ClientSecret: "not-a-real-secret", Enabled: false})
	must(err)

	// The hosted user signs in (a session, an identity, mail in the box).
	k := signinKit{t: t, srv: srv, dir: dir}
	hosted := webtest.NewVisitorClient(t, srv)
	k.signIn(hosted, hostedEmail)
	f.hostedSession = hosted.Cookie("roster_session")

	// Links from mail: a magic link, a sign-up confirmation, a reset.
	k.tick()
	k.startCode(webtest.NewVisitorClient(t, srv), hostedEmail, nil)
	f.magicLink = k.lastLink(hostedEmail)
	k.tick()
	res := webtest.NewVisitorClient(t, srv).PostForm("/signup", url.Values{"email": {"signup.in.progress.hargreaves@logistics.wingtip-toys.example"}, "password": {"lantern orchard velvet"}})
	wantStatus(t, "sign-up", res, http.StatusSeeOther)
	f.verifyLink = k.lastLink("signup.in.progress.hargreaves@logistics.wingtip-toys.example")
	k.tick()
	res = webtest.NewVisitorClient(t, srv).PostForm("/signin/forgot", url.Values{"email": {hostedEmail}})
	wantStatus(t, "forgot password", res, http.StatusSeeOther)
	f.resetLink = k.lastLink(hostedEmail)
	for _, want := range []string{"/signin/link/", "/signin/verify/", "/signin/reset/"} {
		if !strings.Contains(f.magicLink+f.verifyLink+f.resetLink, want) {
			t.Fatalf("no %s link: %s %s %s", want, f.magicLink, f.verifyLink, f.resetLink)
		}
	}
	mails := webtest.OutboxTo(t, srv, hostedEmail)
	f.mailID = mails[len(mails)-1].ID

	// A console setup link, other admins' sessions, and audit entries with
	// long labels and changes.
	admins := adminauth.New(srv.Store, srv.Clock)
	f.adminLink, _, err = admins.CreateLoginLink(ctx, "platform-operations-on-call@roster-operations.northwind-traders-international.example")
	must(err)
	for _, email := range []string{"platform-operations-on-call@roster-operations.northwind-traders-international.example", "ed@roster.test"} {
		webtest.NewAdminSession(t, srv, email, adminauth.Editor)
	}
	ids := auditInsert(t, srv, auditEvent{
		at: srv.Clock.Now().Add(-time.Hour), actorType: "api_client", actorID: f.clientID, label: "Billing synchronisation service (production, eu-central-1)",
		action: "organization.updated", org: f.orgID, user: f.hostedUserID,
		changes: `{"display_name": {"from": "Northwind Traders International Holdings", "to": "Northwind Traders International Holdings & Subsidiaries of the Greater Metropolitan Area (EMEA)"}, "metadata": {"from": {"billing_plan": "monthly"}, "to": {"billing_plan": "enterprise-annual-prepaid", "account_manager": "priya.raghunathan@roster-customer-success.example"}}}`,
	})
	f.auditID = ids[0]

	f.browser = testkit.NewBrowser(t)
	return f
}

// org is the path of a page of the big organization: org("/members", "").
func (f *layoutFixture) org(path, rest string) string {
	return "/organizations/" + f.orgID + path + rest
}

// lastLink is the first link of the newest mail to email, as a path.
func (f *layoutFixture) lastLink(email string) string {
	f.t.Helper()
	return signinKit{t: f.t, srv: f.srv, dir: f.dir}.lastLink(email)
}

// become signs the browser out of everything, then in as who.
func (f *layoutFixture) become(who layoutViewer) {
	f.t.Helper()
	f.browser.Run(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{})
		return err
	}))
	switch who {
	case asOwner:
		webtest.SignInAdmin(f.t, f.srv, f.browser, "owner@roster.test", adminauth.Owner)
	case asMember:
		f.browser.Run(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			httpOnly := true
			_, err := cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{
				Name: "roster_session", Value: f.hostedSession, URL: f.srv.URL + "/", Path: "/",
				HTTPOnly: &httpOnly, SameSite: network.CookieSameSiteLax,
			})
			return err
		}))
	}
}

// Pages reached through a form, as a person reaches them.

func (f *layoutFixture) submit(sel string) {
	f.t.Helper()
	f.browser.Run(
		chromedp.Evaluate[chromedp.Void](`document.body.setAttribute("data-stale", "")`),
		chromedp.Click(chromedp.CSS(sel)),
		chromedp.WaitReady(chromedp.CSS(`body:not([data-stale])`)),
	)
}

func (f *layoutFixture) openMethods() {
	f.t.Helper()
	f.browser.Run(chromedp.Navigate(f.srv.URL+"/signin"), chromedp.WaitVisible(chromedp.CSS("#signin-email")),
		chromedp.SendKeys(chromedp.CSS("#signin-email"), f.hostedEmail))
	f.submit(`[data-testid="signin-continue"]`)
}

func (f *layoutFixture) openCode() {
	f.t.Helper()
	f.browser.Run(chromedp.Navigate(f.srv.URL+"/signin"), chromedp.WaitVisible(chromedp.CSS("#signin-email")),
		chromedp.SendKeys(chromedp.CSS("#signin-email"), f.newcomer))
	f.submit(`[data-testid="signin-continue"]`)
	f.submit(`[data-testid="email-signin"]`)
}

func (f *layoutFixture) openSent() {
	f.t.Helper()
	f.browser.Run(chromedp.Navigate(f.srv.URL+"/signin/forgot?email="+url.QueryEscape(f.newcomer)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="forgot"]`)))
	f.submit(`[data-testid="forgot-submit"]`)
}

// openSocialConfirm signs in through the provider as the hosted user, whom
// the provider is not trusted to vouch for: Roster asks for a mailed code.
func (f *layoutFixture) openSocialConfirm() {
	f.t.Helper()
	f.openMethods()
	f.browser.Run(chromedp.Click(chromedp.CSS(`[data-testid="social-signin"][data-kind="OIDC"]`)))
	f.idp.LoginInBrowser(f.browser, f.hostedEmail)
}

func (f *layoutFixture) openBulkPreview() {
	f.t.Helper()
	var list strings.Builder
	for i := 0; i < 8; i++ {
		fmt.Fprintf(&list, "seasonal.contractor.%02d.oyelaran-westhuizen@temporary-staffing.northwind-traders-international.example\n", i)
	}
	list.WriteString("alexandra.van-der-westhuizen-oyelaran-00@customer-success.northwind-traders-international.example\nnot-an-address\n")
	f.browser.Run(chromedp.Navigate(f.srv.URL+f.org("/invitations/bulk", "")), chromedp.WaitVisible(chromedp.CSS("#addresses")),
		chromedp.SetValue(chromedp.CSS("#addresses"), list.String()))
	f.submit(`[data-testid="bulk-preview"]`)
}

func (f *layoutFixture) openClientCreated() {
	f.t.Helper()
	f.browser.Run(chromedp.Navigate(f.srv.URL+"/api-clients"), chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Customer-facing analytics dashboard backend (staging, us-east-2)"))
	f.submit(`[data-testid="create-client"]`)
}
