package audit

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"roster/internal/model"
)

// ev is a test event: by default the console admin ann@acme.test acting on
// bob@acme.test in Acme, as read back from the database.
type ev struct {
	action          string
	changes         string // JSON
	actorType       string // "admin" unless set
	actorID, actor  string // ses_ann, ann@acme.test unless set; "-" for none
	org, orgName    string // org_acme, Acme when the event concerns an org
	user, userLabel string
	targetType      string
	target, label   string
}

func (e ev) event(t *testing.T) model.AuditEvent {
	t.Helper()
	opt := func(s, def string) *string {
		switch s {
		case "-":
			return nil
		case "":
			if def == "" {
				return nil
			}
			return &def
		}
		return &s
	}
	out := model.AuditEvent{
		ActorType: e.actorType, ActorID: opt(e.actorID, "ses_ann"), ActorLabel: opt(e.actor, "ann@acme.test"),
		Action:         e.action,
		OrganizationID: opt(e.org, ""), OrganizationName: opt(e.orgName, ""),
		UserID: opt(e.user, ""), UserLabel: opt(e.userLabel, ""),
		TargetType: opt(e.targetType, ""), TargetID: opt(e.target, ""), TargetLabel: opt(e.label, ""),
	}
	if out.ActorType == "" {
		out.ActorType = "admin"
	}
	if e.changes != "" {
		if err := json.Unmarshal([]byte(e.changes), &out.Changes); err != nil {
			t.Fatalf("%s: changes: %v", e.action, err)
		}
	}
	return out
}

// Shorthands for the parties most cases share.
const (
	acme, acmeName = "org_acme", "Acme"
	bob, bobEmail  = "usr_bob", "bob@acme.test"
)

func inAcme(e ev) ev { e.org, e.orgName = acme, acmeName; return e }
func toBob(e ev) ev  { e.user, e.userLabel = bob, bobEmail; return e }
func asBob(e ev) ev {
	e.actorType, e.actorID, e.actor = "user", bob, bobEmail
	return toBob(e)
}
func asSystem(e ev) ev { e.actorType, e.actorID, e.actor = "system", "-", "hosted sign-in"; return e }
func asCLI(e ev) ev    { e.actorID, e.actor = "-", "cli:ann"; return e }
func membership(e ev) ev {
	e.targetType, e.target = "membership", "mem_1"
	return inAcme(toBob(e))
}
func role(e ev) ev { e.targetType, e.target, e.label = "role", "role_1", "billing"; return e }

// sentenceCases is the table: one case or more for every action Roster
// records (TestSentenceCoversEveryRecordedAction checks the list).
var sentenceCases = []struct {
	in   ev
	want string
}{
	// Organizations.
	{inAcme(ev{action: "organization.created", targetType: "organization", target: acme,
		changes: `{"display_name": "Acme", "slug": null, "external_id": null}`}),
		"ann@acme.test created the organization Acme"},
	{inAcme(ev{action: "organization.updated", targetType: "organization", target: acme,
		changes: `{"display_name": {"from": "Acme", "to": "Acme Corp"}, "slug": {"from": null, "to": "acme"}}`}),
		"ann@acme.test renamed the organization Acme to Acme Corp and changed its slug"},
	{inAcme(ev{action: "organization.updated", targetType: "organization", target: acme,
		changes: `{"slug": {"from": null, "to": "acme"}, "external_id": {"from": null, "to": "A-1"}}`}),
		"ann@acme.test changed the external id and slug of Acme"},
	{inAcme(ev{action: "organization.settings_updated", targetType: "organization", target: acme,
		changes: `{"settings": {"from": {}, "to": {"sso": true}}, "max_allowed_users": {"from": 0, "to": 0}}`}),
		"ann@acme.test changed the settings of Acme"},
	{inAcme(ev{action: "organization.deleted", targetType: "organization", target: acme,
		changes: `{"display_name": "Acme", "deleted_user_ids": []}`}),
		"ann@acme.test deleted the organization Acme"},
	{asCLI(inAcme(ev{action: "import.organization_created", targetType: "organization", target: acme})),
		"ann (command line) imported the organization Acme"},
	{asCLI(inAcme(ev{action: "import.organization_updated", targetType: "organization", target: acme})),
		"ann (command line) updated the organization Acme by import"},

	// Memberships and invitations.
	{membership(ev{action: "membership.created",
		changes: `{"status": "PENDING_INVITE", "roles": ["member"], "provisioning_method": "invitation"}`}),
		"ann@acme.test invited bob@acme.test to Acme as member"},
	{membership(ev{action: "membership.created", actorType: "api_client", actorID: "cli_sync", actor: "Billing sync",
		changes: `{"status": "ACTIVE", "roles": ["admin", "billing"], "provisioning_method": "direct_provision"}`}),
		"API client Billing sync added bob@acme.test to Acme as admin and billing"},
	{membership(ev{action: "membership.created",
		changes: `{"status": "ACTIVE", "roles": ["admin"], "provisioning_method": "org_creator"}`}),
		"ann@acme.test added bob@acme.test to Acme as admin, as the organization's creator"},
	{asBob(membership(ev{action: "membership.created",
		changes: `{"status": "ACTIVE", "roles": ["member"], "provisioning_method": "allowed_email_domain"}`})),
		"bob@acme.test joined Acme as member"},
	{asCLI(membership(ev{action: "import.membership_created",
		changes: `{"status": "ACTIVE", "roles": ["member"], "provisioning_method": "direct_provision"}`})),
		"ann (command line) imported bob@acme.test into Acme as member"},
	{asCLI(membership(ev{action: "import.membership_created",
		changes: `{"status": "PENDING_INVITE", "roles": [], "provisioning_method": "invitation"}`})),
		"ann (command line) imported an invitation of bob@acme.test to Acme"},
	{membership(ev{action: "membership.updated", changes: `{"roles": {"from": ["member"], "to": ["admin"]}}`}),
		"ann@acme.test changed the role of bob@acme.test in Acme from member to admin"},
	{membership(ev{action: "membership.updated",
		changes: `{"roles": {"from": ["member"], "to": ["admin", "billing"]}, "metadata": {"from": {}, "to": {"team": "x"}}}`}),
		"ann@acme.test changed the roles of bob@acme.test in Acme from member to admin and billing, and their membership's metadata"},
	{membership(ev{action: "membership.updated", changes: `{"metadata": {"from": {}, "to": {"team": "x"}}}`}),
		"ann@acme.test changed the membership metadata of bob@acme.test in Acme"},
	{asCLI(membership(ev{action: "import.membership_updated", changes: `{"roles": {"from": ["member"], "to": ["admin"]}}`})),
		"ann (command line) updated the membership of bob@acme.test in Acme by import"},
	{ev{action: "membership.removed", actorID: "ses_dana", actor: "dana@saasco.example",
		org: "org_globex", orgName: "Globex", user: "usr_carol", userLabel: "carol@globex.example",
		targetType: "membership", target: "mem_2", changes: `{"status": "ACTIVE", "roles": ["member"]}`},
		"dana@saasco.example removed carol@globex.example from Globex"},
	{asBob(membership(ev{action: "membership.removed", changes: `{"status": "ACTIVE", "roles": ["member"]}`})),
		"bob@acme.test left Acme"},
	{membership(ev{action: "invitation.resent", changes: `{"resent_count": 1}`}),
		"ann@acme.test resent the invitation of bob@acme.test to Acme"},
	{membership(ev{action: "invitation.revoked", changes: `{"status": "PENDING_INVITE"}`}),
		"ann@acme.test revoked the invitation of bob@acme.test to Acme"},
	{asBob(membership(ev{action: "invitation.declined"})),
		"bob@acme.test declined the invitation to Acme"},
	{membership(ev{action: "invitation.declined"}),
		"ann@acme.test declined the invitation of bob@acme.test to Acme"},
	{asSystem(membership(ev{action: "invitation.expired", actor: "Roster"})),
		"The invitation of bob@acme.test to Acme expired"},
	{asBob(membership(ev{action: "invitation.accepted", changes: `{"status": "ACTIVE", "via": "link"}`})),
		"bob@acme.test accepted the invitation to Acme"},
	{membership(ev{action: "invitation.accepted"}),
		"ann@acme.test accepted the invitation of bob@acme.test to Acme"},
	{asSystem(inAcme(toBob(ev{action: "invitation.renewal_requested", targetType: "user", target: bob,
		changes: `{"inviter_email": "ann@acme.test"}`}))),
		"bob@acme.test asked ann@acme.test for a new invitation to Acme"},

	// Users, sign-ins and sessions.
	{toBob(ev{action: "user.created", targetType: "user", target: bob, changes: `{"email": "bob@acme.test"}`}),
		"ann@acme.test created the user bob@acme.test"},
	{asSystem(toBob(ev{action: "user.created", targetType: "user", target: bob,
		changes: `{"email": "bob@acme.test", "email_verified": true, "via": "GOOGLE"}`})),
		"bob@acme.test signed up with Google"},
	{asCLI(toBob(ev{action: "import.user_created", targetType: "user", target: bob})),
		"ann (command line) imported the user bob@acme.test"},
	{asCLI(toBob(ev{action: "import.user_updated", targetType: "user", target: bob})),
		"ann (command line) updated the user bob@acme.test by import"},
	{toBob(ev{action: "user.updated", targetType: "user", target: bob,
		changes: `{"given_name": {"from": "Bob", "to": "Robert"}, "metadata": {"from": {}, "to": {"a": "b"}}}`}),
		"ann@acme.test changed the given name and metadata of bob@acme.test"},
	{asBob(ev{action: "user.updated", targetType: "user", target: bob, changes: `{"locale": {"from": null, "to": "fr"}}`}),
		"bob@acme.test changed their locale"},
	{toBob(ev{action: "user.deleted", targetType: "user", target: bob, changes: `{"email": "bob@acme.test", "memberships": 2}`}),
		"ann@acme.test deleted the user bob@acme.test"},
	{toBob(ev{action: "user.deleted", targetType: "user", target: bob, changes: `{"reason": "last membership removed"}`}),
		"ann@acme.test deleted the user bob@acme.test, who was left in no organization"},
	{asBob(inAcme(ev{action: "user.signed_in", targetType: "session", target: "ses_1", changes: `{"method": "PASSWORD"}`})),
		"bob@acme.test signed in to Acme with a password"},
	{asBob(ev{action: "user.signed_in", targetType: "session", target: "ses_1", changes: `{"method": "EMAIL"}`}),
		"bob@acme.test signed in with an emailed link or code"},
	{asBob(ev{action: "user.signed_out", targetType: "session", target: "ses_1", changes: `{"reason": "signed out", "status": "LOGOUT"}`}),
		"bob@acme.test signed out"},
	{asBob(ev{action: "user.signed_out", targetType: "session", target: "ses_1", changes: `{"reason": "signed in again"}`}),
		"bob@acme.test signed in again, ending their earlier session"},
	{asBob(inAcme(ev{action: "session.organization_switched", targetType: "session", target: "ses_1",
		changes: `{"from": null, "to": "org_acme"}`})),
		"bob@acme.test switched to Acme"},
	{inAcme(toBob(ev{action: "session.revoked", targetType: "session", target: "ses_1"})),
		"ann@acme.test revoked a session of bob@acme.test in Acme"},
	{toBob(ev{action: "user.sessions_revoked", targetType: "user", target: bob, changes: `{"revoked_sessions": 3}`}),
		"ann@acme.test signed bob@acme.test out of every session (3 ended)"},
	{asSystem(toBob(ev{action: "user.password_set", targetType: "user", target: bob})),
		"bob@acme.test set their password"},
	{toBob(ev{action: "user.password_set", targetType: "user", target: bob}),
		"ann@acme.test set the password of bob@acme.test"},
	{asBob(ev{action: "user.email_verified", targetType: "user", target: bob,
		changes: `{"email": "bob@acme.test", "via": "confirmation link"}`}),
		"bob@acme.test verified their email address with a confirmation link"},
	{asSystem(toBob(ev{action: "identity.added", targetType: "identity", target: "idn_1",
		changes: `{"provider_kind": "GOOGLE", "issuer": "https://accounts.google.com"}`})),
		"bob@acme.test added a sign-in with Google"},

	// Roles and permissions.
	{role(ev{action: "role.created", changes: `{"name": "billing", "permissions": []}`}),
		"ann@acme.test created the role billing"},
	{inAcme(role(ev{action: "role.created", changes: `{"name": "billing"}`})),
		"ann@acme.test created the role billing in Acme"},
	{role(ev{action: "role.updated", changes: `{"permissions": {"from": [], "to": ["invoices:read"]}}`}),
		"ann@acme.test changed the permissions of the role billing"},
	{inAcme(role(ev{action: "role.deleted",
		changes: `{"name": "billing", "reassigned_to": "member", "memberships_reassigned": 2}`})),
		"ann@acme.test deleted the role billing in Acme, giving its members the role member"},
	{role(ev{action: "role.permissions_added", changes: `{"name": "billing", "permissions": ["invoices:read", "invoices:write"]}`}),
		"ann@acme.test gave the role billing the permissions invoices:read and invoices:write"},
	{role(ev{action: "role.permission_removed", changes: `{"name": "billing", "permission": "invoices:write"}`}),
		"ann@acme.test took the permission invoices:write from the role billing"},
	{ev{action: "role.defaults_updated", targetType: "environment", changes: `{
		"default_creator_role": {"from": "admin", "to": "admin"}, "default_member_role": {"from": "member", "to": "viewer"}}`},
		"ann@acme.test changed the default member role from member to viewer"},
	{inAcme(ev{action: "role.defaults_updated", targetType: "organization", target: acme,
		changes: `{"default_member_role": {"from": "member", "to": "guest", "own": true}}`}),
		"ann@acme.test changed the default member role of Acme from member to guest"},
	{ev{action: "permission.created", targetType: "permission", target: "prm_1", label: "invoices:read"},
		"ann@acme.test created the permission invoices:read"},
	{ev{action: "permission.updated", targetType: "permission", target: "prm_1", label: "invoices:read",
		changes: `{"description": {"from": "", "to": "Read invoices"}}`},
		"ann@acme.test changed the description of the permission invoices:read"},
	{ev{action: "permission.deleted", targetType: "permission", target: "prm_1", label: "invoices:read",
		changes: `{"name": "invoices:read", "removed_from_roles": ["billing"]}`},
		"ann@acme.test deleted the permission invoices:read, taking it from the role billing"},

	// Domains.
	{inAcme(ev{action: "domain.created", targetType: "domain", target: "dom_1", label: "acme.test",
		changes: `{"domain": "acme.test", "domain_type": "ALLOWED_EMAIL_DOMAIN"}`}),
		"ann@acme.test added the domain acme.test to Acme as an allowed email domain"},
	{inAcme(ev{action: "domain.created", targetType: "domain", target: "dom_1", label: "acme.test",
		changes: `{"domain": "acme.test", "domain_type": "ORGANIZATION_DOMAIN"}`}),
		"ann@acme.test added the domain acme.test to Acme"},
	{inAcme(ev{action: "domain.deleted", targetType: "domain", target: "dom_1", label: "acme.test"}),
		"ann@acme.test removed the domain acme.test from Acme"},

	// The environment.
	{ev{action: "settings.updated", actor: "owner@acme.test", targetType: "environment_settings", target: "environment",
		changes: `{"password_enabled": {"from": false, "to": true}}`},
		"owner@acme.test changed the sign-in settings"},
	{ev{action: "social_provider.created", targetType: "social_provider", target: "sop_1", label: "Google"},
		"ann@acme.test added the sign-in provider Google"},
	{ev{action: "social_provider.updated", targetType: "social_provider", target: "sop_1", label: "Google",
		changes: `{"client_id": {"from": "a", "to": "b"}, "client_secret": "replaced"}`},
		"ann@acme.test changed the client id of the sign-in provider Google"},
	{ev{action: "social_provider.deleted", targetType: "social_provider", target: "sop_1", label: "Google"},
		"ann@acme.test removed the sign-in provider Google"},
	{ev{action: "api_client.created", targetType: "api_client", target: "cli_1", label: "Billing sync"},
		"ann@acme.test created the API client Billing sync"},
	{ev{action: "api_client.revoked", targetType: "api_client", target: "cli_1", label: "Billing sync"},
		"ann@acme.test revoked the API client Billing sync"},

	// Console admins.
	{ev{action: "admin.signed_in", targetType: "admin_session", target: "ses_ann", changes: `{"email": "ann@acme.test", "role": "owner"}`},
		"ann@acme.test signed in to the console as owner"},
	{ev{action: "admin.signed_out", targetType: "admin_session", target: "ses_ann"},
		"ann@acme.test signed out of the console"},
	{ev{action: "admin.sign_in_link_created", actorType: "system", actorID: "-", actor: "roster serve",
		targetType: "admin_login_link", changes: `{"email": "owner@localhost"}`},
		"Roster created a console sign-in link for owner@localhost"},
	{ev{action: "admin.sign_in_refused", actorType: "system", actorID: "-", actor: "console sign-in",
		targetType: "admin_session", changes: `{"email": "eve@evil.test"}`},
		"Roster refused console sign-in to eve@evil.test"},
	{ev{action: "admin_session.ended", targetType: "admin_session", target: "ses_ed", label: "ed@acme.test",
		changes: `{"email": "ed@acme.test", "role": "editor"}`},
		"ann@acme.test ended the console session of ed@acme.test"},
	{ev{action: "admin_session.ended", targetType: "admin_session", target: "ses_old", label: "ann@acme.test",
		changes: `{"email": "ann@acme.test", "reason": "signed in again"}`},
		"ann@acme.test signed in to the console again, ending their earlier session"},

	// Imports.
	{asCLI(ev{action: "import.completed", changes: `{"rows": 120, "bad_rows": 2, "shape": "one_to_many"}`}),
		"ann (command line) ran an import of 120 rows (2 refused)"},

	// Names outlive their objects; without any, ids stand in.
	{ev{action: "membership.removed", org: "org_gone", user: "usr_gone", targetType: "membership", target: "mem_3"},
		"ann@acme.test removed usr_gone from org_gone"},
	// An action without a sentence of its own.
	{toBob(ev{action: "user.email_changed", targetType: "user", target: bob}),
		"ann@acme.test: user email changed (bob@acme.test)"},
}

func TestSentence(t *testing.T) {
	for _, tt := range sentenceCases {
		if got := Sentence(tt.in.event(t)); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.in.action, got, tt.want)
		}
	}
}

// recordedAction finds the actions Roster's code records: audit.Event
// literals, the importer's events, invitations closed under a named
// action, and actions named by a constant (actionDeclined = "…").
var recordedAction = regexp.MustCompile(`(?:Action:\s*|\.event\(|auditEvent\([^"\n]*|closeInvitation\([^"\n]*|\baction[A-Z]\w*\s*=\s*)"([a-z_]+(?:\.[a-z_]+)+)"`)

// TestSentenceCoversEveryRecordedAction reads the source for every action
// recorded and wants a case for each in the table above, so a new action
// cannot reach the log without its sentence.
func TestSentenceCoversEveryRecordedAction(t *testing.T) {
	root := filepath.Join("..", "..")
	recorded := map[string]string{} // action → where
	for _, dir := range []string{"internal", "cmd", "web"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range recordedAction.FindAllStringSubmatch(string(src), -1) {
				recorded[m[1]] = path
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The scan must find the indirect ones too, or it proves nothing.
	for _, a := range []string{"membership.removed", "invitation.revoked", "invitation.declined", "import.completed", "import.user_created"} {
		if _, ok := recorded[a]; !ok {
			t.Errorf("the scan missed %s: fix recordedAction", a)
		}
	}
	t.Logf("%d actions recorded", len(recorded))
	var covered []string
	for _, tt := range sentenceCases {
		covered = append(covered, tt.in.action)
	}
	for action, where := range recorded {
		if !slices.Contains(covered, action) {
			t.Errorf("%s (recorded in %s) has no case in sentenceCases: give it a sentence in Sentence and a case here", action, where)
		}
	}
}
