package audit

import (
	"fmt"
	"slices"
	"strings"

	"roster/internal/model"
)

// Sentence tells what ev did in one sentence, for people reading the log:
// "dana@saasco.example removed carol@globex.example from Globex". It names
// things by the labels stored with the event, so it reads the same after
// the user or organization is renamed or deleted (ids stand in where an
// event has no label). An action without a sentence of its own still gets
// a plain one built from its name. Every action Roster records has a case
// here; TestSentenceCoversEveryRecordedAction keeps it so.
func Sentence(ev model.AuditEvent) string {
	a, u, o, t := actorName(ev), userName(ev), orgName(ev), targetName(ev)
	c := ev.Changes
	self := ev.UserID != nil && ev.ActorID != nil && *ev.ActorID == *ev.UserID
	// byThemselves: the person the event concerns did it, signed in (self)
	// or through a hosted page before they were (the system's visitor).
	byThemselves := self || ev.ActorType == "system"
	inOrg := "" // " in Acme" for an org's own roles
	if ev.OrganizationID != nil {
		inOrg = " in " + o
	}
	roles := func() string {
		if r := joinList(c["roles"]); r != "" {
			return " as " + r
		}
		return ""
	}

	switch ev.Action {
	// Organizations.
	case "organization.created":
		return a + " created the organization " + o
	case "organization.updated":
		if from, to, ok := fromTo(c, "display_name"); ok {
			s := a + " renamed the organization " + value(from) + " to " + value(to)
			if rest := fieldNames(c, "display_name"); rest != "" {
				s += " and changed its " + rest
			}
			return s
		}
		if f := fieldNames(c); f != "" {
			return a + " changed the " + f + " of " + o
		}
		return a + " updated the organization " + o
	case "organization.settings_updated":
		return a + " changed the settings of " + o
	case "organization.deleted":
		return a + " deleted the organization " + o
	case "import.organization_created":
		return a + " imported the organization " + o
	case "import.organization_updated":
		return a + " updated the organization " + o + " by import"

	// Memberships and invitations.
	case "membership.created":
		switch {
		case text(c, "status") == model.StatusPendingInvite:
			return a + " invited " + u + " to " + o + roles()
		case text(c, "provisioning_method") == "org_creator":
			return a + " added " + u + " to " + o + roles() + ", as the organization's creator"
		case self:
			return u + " joined " + o + roles()
		}
		return a + " added " + u + " to " + o + roles()
	case "import.membership_created":
		if text(c, "status") == model.StatusPendingInvite {
			return a + " imported an invitation of " + u + " to " + o + roles()
		}
		return a + " imported " + u + " into " + o + roles()
	case "membership.updated":
		if from, to, ok := fromTo(c, "roles"); ok {
			noun := "roles"
			if len(asList(from)) <= 1 && len(asList(to)) <= 1 {
				noun = "role"
			}
			s := a + " changed the " + noun + " of " + u + " in " + o + " from " + orNone(joinList(from)) + " to " + orNone(joinList(to))
			if _, _, meta := fromTo(c, "metadata"); meta {
				s += ", and their membership's metadata"
			}
			return s
		}
		if _, _, ok := fromTo(c, "metadata"); ok {
			return a + " changed the membership metadata of " + u + " in " + o
		}
		return a + " updated the membership of " + u + " in " + o
	case "import.membership_updated":
		return a + " updated the membership of " + u + " in " + o + " by import"
	case "membership.removed":
		if self {
			return u + " left " + o
		}
		return a + " removed " + u + " from " + o
	case "invitation.resent":
		return a + " resent the invitation of " + u + " to " + o
	case "invitation.revoked":
		return a + " revoked the invitation of " + u + " to " + o
	case "invitation.declined":
		if byThemselves {
			return u + " declined the invitation to " + o
		}
		return a + " declined the invitation of " + u + " to " + o
	case "invitation.expired":
		return "The invitation of " + u + " to " + o + " expired"
	case "invitation.accepted":
		if byThemselves {
			return u + " accepted the invitation to " + o
		}
		return a + " accepted the invitation of " + u + " to " + o
	case "invitation.renewal_requested":
		if inviter := text(c, "inviter_email"); inviter != "" {
			return u + " asked " + inviter + " for a new invitation to " + o
		}
		return u + " asked for a new invitation to " + o

	// Users, their sign-ins and sessions.
	case "user.created":
		if byThemselves {
			if via := text(c, "via"); via != "" {
				return u + " signed up with " + method(via)
			}
			return u + " signed up"
		}
		return a + " created the user " + u
	case "import.user_created":
		return a + " imported the user " + u
	case "user.updated":
		f := fieldNames(c)
		switch {
		case f == "":
			return a + " updated the user " + u
		case self:
			return u + " changed their " + f
		}
		return a + " changed the " + f + " of " + u
	case "import.user_updated":
		return a + " updated the user " + u + " by import"
	case "user.deleted":
		switch {
		case self:
			return u + " deleted their account"
		case text(c, "reason") == "last membership removed":
			return a + " deleted the user " + u + ", who was left in no organization"
		}
		return a + " deleted the user " + u
	case "user.signed_in":
		s := u + " signed in"
		if ev.OrganizationID != nil {
			s += " to " + o
		}
		if m := text(c, "method"); m != "" {
			s += " with " + method(m)
		}
		return s
	case "user.signed_out":
		if text(c, "reason") == "signed in again" {
			return u + " signed in again, ending their earlier session"
		}
		return u + " signed out"
	case "session.organization_switched":
		return u + " switched to " + o
	case "session.revoked":
		return a + " revoked a session of " + u + inOrg
	case "user.sessions_revoked":
		return a + " signed " + u + " out of every session" + count(c, "revoked_sessions", " (%d ended)")
	case "user.password_set":
		if byThemselves {
			return u + " set their password"
		}
		return a + " set the password of " + u
	case "user.email_verified":
		s := a + " verified the email address of " + u
		if byThemselves {
			s = u + " verified their email address"
		}
		if via := text(c, "via"); via != "" {
			s += " with " + method(via)
		}
		return s
	case "identity.added":
		kind := method(text(c, "provider_kind"))
		if byThemselves {
			return u + " added a sign-in with " + kind
		}
		return a + " added a sign-in with " + kind + " to " + u

	// Roles and permissions.
	case "role.created":
		return a + " created the role " + t + inOrg
	case "role.updated":
		if f := fieldNames(c); f != "" {
			return a + " changed the " + f + " of the role " + t + inOrg
		}
		return a + " updated the role " + t + inOrg
	case "role.deleted":
		s := a + " deleted the role " + t + inOrg
		if to := text(c, "reassigned_to"); to != "" {
			s += ", giving its members the role " + to
		}
		return s
	case "role.permissions_added":
		return a + " gave the role " + t + inOrg + " the " + plural(c["permissions"], "permission") + " " + joinList(c["permissions"])
	case "role.permission_removed":
		return a + " took the permission " + text(c, "permission") + " from the role " + t + inOrg
	case "role.defaults_updated":
		if ev.OrganizationID != nil {
			if from, to, ok := fromTo(c, "default_member_role"); ok {
				return a + " changed the default member role of " + o + " from " + value(from) + " to " + value(to)
			}
			return a + " set the default member role of " + o
		}
		var parts []string
		for _, d := range []struct{ field, name string }{
			{"default_creator_role", "default creator role"}, {"default_member_role", "default member role"},
		} {
			if from, to, ok := fromTo(c, d.field); ok && value(from) != value(to) {
				parts = append(parts, "the "+d.name+" from "+value(from)+" to "+value(to))
			}
		}
		if len(parts) == 0 {
			return a + " set the default roles"
		}
		return a + " changed " + joinAnd(parts)
	case "permission.created":
		return a + " created the permission " + t
	case "permission.updated":
		if f := fieldNames(c); f != "" {
			return a + " changed the " + f + " of the permission " + t
		}
		return a + " updated the permission " + t
	case "permission.deleted":
		s := a + " deleted the permission " + t
		if r := joinList(c["removed_from_roles"]); r != "" {
			s += ", taking it from the " + plural(c["removed_from_roles"], "role") + " " + r
		}
		return s

	// Domains.
	case "domain.created":
		if text(c, "domain_type") == "ALLOWED_EMAIL_DOMAIN" {
			return a + " added the domain " + t + " to " + o + " as an allowed email domain"
		}
		return a + " added the domain " + t + " to " + o
	case "domain.deleted":
		return a + " removed the domain " + t + " from " + o

	// The environment: sign-in settings, providers, API clients.
	case "settings.updated":
		return a + " changed the sign-in settings"
	case "social_provider.created":
		return a + " added the sign-in provider " + t
	case "social_provider.updated":
		if f := fieldNames(c); f != "" {
			return a + " changed the " + f + " of the sign-in provider " + t
		}
		return a + " changed the sign-in provider " + t
	case "social_provider.deleted":
		return a + " removed the sign-in provider " + t
	case "api_client.created":
		return a + " created the API client " + t
	case "api_client.revoked":
		return a + " revoked the API client " + t

	// The console's own admins.
	case "admin.signed_in":
		if role := text(c, "role"); role != "" {
			return a + " signed in to the console as " + role
		}
		return a + " signed in to the console"
	case "admin.signed_out":
		return a + " signed out of the console"
	case "admin.sign_in_link_created":
		return a + " created a console sign-in link for " + orText(text(c, "email"), "an owner")
	case "admin.sign_in_refused":
		return a + " refused console sign-in to " + orText(text(c, "email"), "someone")
	case "admin_session.ended":
		email := orText(text(c, "email"), t)
		switch {
		case text(c, "reason") == "signed in again":
			return email + " signed in to the console again, ending their earlier session"
		case ev.ActorLabel != nil && *ev.ActorLabel == email:
			return a + " ended their own console session"
		}
		return a + " ended the console session of " + email

	// Imports.
	case "import.completed":
		return a + " ran an import" + count(c, "rows", " of %d rows") + count(c, "bad_rows", " (%d refused)")
	}

	// An action without a sentence: its name in words, and whom it concerns.
	s := a + ": " + strings.NewReplacer(".", " ", "_", " ").Replace(ev.Action)
	var about []string
	if ev.UserID != nil {
		about = append(about, u)
	}
	if ev.OrganizationID != nil {
		about = append(about, o)
	}
	if ev.TargetLabel != nil && ev.TargetType != nil && !isOrgOrUser(*ev.TargetType) {
		about = append(about, t)
	}
	if len(about) > 0 {
		s += " (" + strings.Join(about, ", ") + ")"
	}
	return s
}

// Actor, Organization and Subject name an event's parties in a word each,
// for the columns of an export: labels where the event has them, else ids.

// Actor is who made the change: an email, a client's name, "Roster".
func Actor(ev model.AuditEvent) string {
	return first(ev.ActorLabel, ev.ActorID)
}

// Organization is the organization the event concerns, "" for none.
func Organization(ev model.AuditEvent) string {
	return first(ev.OrganizationName, ev.OrganizationID)
}

// Subject is what the change was made to: the user of a membership,
// session or profile, the organization itself, or the target by its name.
func Subject(ev model.AuditEvent) string {
	switch {
	case ev.TargetType == nil:
		return first(ev.UserLabel, ev.UserID)
	case *ev.TargetType == "organization":
		return Organization(ev)
	case isOrgOrUser(*ev.TargetType) || ev.UserID != nil && ev.TargetLabel == nil:
		return first(ev.UserLabel, ev.UserID)
	}
	return first(ev.TargetLabel, ev.TargetID)
}

// isOrgOrUser: targets that are named by the event's organization or user
// rather than by a label of their own.
func isOrgOrUser(targetType string) bool {
	switch targetType {
	case "organization", "user", "membership", "session", "identity":
		return true
	}
	return false
}

// actorName is the actor as the sentence's subject.
func actorName(ev model.AuditEvent) string {
	label := first(ev.ActorLabel, ev.ActorID)
	switch ev.ActorType {
	case "system":
		return "Roster" // its label says which part of Roster; the row shows it
	case "api_client":
		return "API client " + orText(label, "(unnamed)")
	case "admin":
		if name, ok := strings.CutPrefix(label, "cli:"); ok {
			return name + " (command line)"
		}
		return orText(label, "A console admin")
	case "user":
		return orText(label, "A user")
	}
	return orText(label, "Someone")
}

// userName is the user the event concerns.
func userName(ev model.AuditEvent) string {
	if ev.UserLabel == nil && ev.UserID != nil && ev.ActorID != nil && *ev.ActorID == *ev.UserID && ev.ActorLabel != nil {
		return *ev.ActorLabel
	}
	return orText(first(ev.UserLabel, ev.UserID), "a user")
}

func orgName(ev model.AuditEvent) string {
	return orText(Organization(ev), "an organization")
}

func targetName(ev model.AuditEvent) string {
	return orText(first(ev.TargetLabel, ev.TargetID), "(unnamed)")
}

// method names a sign-in method or identity kind for people.
func method(kind string) string {
	switch kind {
	case "EMAIL":
		return "an emailed link or code"
	case "PASSWORD":
		return "a password"
	case "GOOGLE":
		return "Google"
	case "MICROSOFT":
		return "Microsoft"
	case "GITHUB":
		return "GitHub"
	case "OKTA":
		return "Okta"
	case "MICROSOFT_AD":
		return "Microsoft Active Directory"
	case "OIDC":
		return "OpenID Connect"
	case "SAML":
		return "SAML"
	case "CUSTOM":
		return "a custom connection"
	case "confirmation link":
		return "a confirmation link"
	case "":
		return "an unknown method"
	}
	return strings.ToLower(strings.ReplaceAll(kind, "_", " "))
}

// fieldNames lists the changed fields of changes, but for those left out,
// in words: "display name, slug and external id". Only from → to pairs
// count: other entries are facts about the change, not fields.
func fieldNames(changes model.JSONObject, leaveOut ...string) string {
	var names []string
	for f := range changes {
		if _, _, ok := fromTo(changes, f); ok && !slices.Contains(leaveOut, f) {
			names = append(names, strings.ReplaceAll(f, "_", " "))
		}
	}
	if len(names) == 0 {
		// Changes written as plain values ({"password": "set"}).
		for f := range changes {
			if !slices.Contains(leaveOut, f) {
				names = append(names, strings.ReplaceAll(f, "_", " "))
			}
		}
	}
	slices.Sort(names)
	return joinAnd(names)
}

// fromTo reads changes[field] as a change of value.
func fromTo(changes model.JSONObject, field string) (from, to any, ok bool) {
	m, isMap := changes[field].(map[string]any)
	if !isMap {
		return nil, nil, false
	}
	from, hasFrom := m["from"]
	to, hasTo := m["to"]
	return from, to, hasFrom || hasTo
}

// text is changes[field] when it is a string.
func text(changes model.JSONObject, field string) string {
	s, _ := changes[field].(string)
	return s
}

// count formats changes[field] as a whole number into format, or gives ""
// when the field is missing or zero.
func count(changes model.JSONObject, field, format string) string {
	var n int64
	switch v := changes[field].(type) {
	case float64:
		n = int64(v)
	case int:
		n = int64(v)
	case int64:
		n = v
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(format, n)
}

// asList reads a JSON list of names (or one name) as strings.
func asList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []string:
		return x
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, value(e))
		}
		return out
	}
	return nil
}

// joinList writes a list of names as "admin, billing and member".
func joinList(v any) string { return joinAnd(asList(v)) }

func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// plural is noun, with an s for a list of more than one.
func plural(list any, noun string) string {
	if len(asList(list)) > 1 {
		return noun + "s"
	}
	return noun
}

// value writes one recorded value in words.
func value(v any) string {
	switch x := v.(type) {
	case nil:
		return "none"
	case string:
		if x == "" {
			return "none"
		}
		return x
	case []any, []string:
		return orNone(joinList(x))
	}
	return fmt.Sprint(v)
}

func orNone(s string) string { return orText(s, "none") }

func orText(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

// first is the first of ss that is set and not empty.
func first(ss ...*string) string {
	for _, s := range ss {
		if s != nil && *s != "" {
			return *s
		}
	}
	return ""
}
