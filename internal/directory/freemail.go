package directory

import (
	"context"
	"strings"

	"roster/internal/apperr"
	"roster/internal/model"
	"roster/internal/store"
)

// Domains the environment's settings may block: mailbox providers open to
// the public, and throwaway-address services. While blocked, no organization
// can claim them, nobody new signs up with an address there and nobody is
// invited at one. The lists are short on purpose — the big providers cover
// most sign-ups; an exhaustive list goes stale.
var publicEmailDomains = setOf(
	"gmail.com", "googlemail.com",
	"outlook.com", "hotmail.com", "hotmail.co.uk", "hotmail.fr", "live.com", "msn.com",
	"yahoo.com", "yahoo.co.uk", "yahoo.fr", "ymail.com", "rocketmail.com",
	"icloud.com", "me.com", "mac.com",
	"aol.com", "aim.com",
	"proton.me", "protonmail.com", "pm.me",
	"gmx.com", "gmx.de", "gmx.net", "web.de", "mail.com",
	"yandex.com", "yandex.ru", "mail.ru",
	"zoho.com", "fastmail.com", "tutanota.com", "tuta.io", "hey.com",
	"qq.com", "163.com", "126.com",
)

var disposableEmailDomains = setOf(
	"mailinator.com", "guerrillamail.com", "guerrillamail.net", "sharklasers.com",
	"10minutemail.com", "temp-mail.org", "tempmail.com", "yopmail.com", "trashmail.com",
	"getnada.com", "maildrop.cc", "dispostable.com", "throwawaymail.com", "mohmal.com",
	"emailondeck.com", "fakeinbox.com", "mintemail.com", "spamgourmet.com",
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// inList reports whether domain or one of its parents is in list, so
// "mail.gmail.com" counts as gmail.com.
func inList(list map[string]bool, domain string) bool {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	for {
		if list[domain] {
			return true
		}
		_, parent, ok := strings.Cut(domain, ".")
		if !ok {
			return false
		}
		domain = parent
	}
}

// IsPublicEmailDomain reports whether domain belongs to a public mailbox
// provider (gmail.com, outlook.com, …).
func IsPublicEmailDomain(domain string) bool { return inList(publicEmailDomains, domain) }

// IsDisposableEmailDomain reports whether domain belongs to a throwaway-address service.
func IsDisposableEmailDomain(domain string) bool { return inList(disposableEmailDomains, domain) }

// Kinds of blocked domains, as messages name them.
const (
	kindPublic     = "a public email provider"
	kindDisposable = "a disposable email service"
)

// blockedKind says which of the environment's blocks covers domain, or "".
func blockedKind(env model.EnvironmentSettings, domain string) string {
	switch {
	case env.BlockPublicEmailDomains && IsPublicEmailDomain(domain):
		return kindPublic
	case env.BlockDisposableEmailDomains && IsDisposableEmailDomain(domain):
		return kindDisposable
	}
	return ""
}

// BlockedAddress is an email address the environment's settings refuse for
// anyone new: its domain, and what kind of domain it is.
type BlockedAddress struct {
	Domain string // gmail.com
	Kind   string // "a public email provider"
}

// String says it as messages do: "gmail.com, a public email provider".
func (b BlockedAddress) String() string { return b.Domain + ", " + b.Kind }

// BlockedEmailDomain reports whether the settings refuse email as the
// address of someone new to the environment — signing up or being invited —
// because "Block public email domains" or "Block disposable email domains"
// covers its domain. It is the one test both rules use (sign-up in
// identity, invitations here); people already in Roster keep signing in.
func BlockedEmailDomain(env model.EnvironmentSettings, email string) (BlockedAddress, bool) {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return BlockedAddress{}, false
	}
	domain := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(email[at+1:]), "."))
	if kind := blockedKind(env, domain); kind != "" {
		return BlockedAddress{Domain: domain, Kind: kind}, true
	}
	return BlockedAddress{}, false
}

// InvitationRefusal is the reason an invitation to b is refused, as a field
// violation of "email" reads it.
func (b BlockedAddress) InvitationRefusal() string {
	return "is at " + b.String() + ", and the settings refuse invitations to such addresses"
}

// refuseBlockedInvitee is the invitation half of the rule: every invitation
// mail (new, reminder, resend; console, API, CLI, bulk, members) asks it
// first, in the caller's transaction.
func refuseBlockedInvitee(ctx context.Context, tx *store.Store, email string) error {
	env, err := tx.EnvironmentSettings(ctx)
	if err != nil {
		return err
	}
	if b, blocked := BlockedEmailDomain(env, email); blocked {
		return apperr.Invalid(apperr.Field("email", b.InvitationRefusal()))
	}
	return nil
}
