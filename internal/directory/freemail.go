package directory

import "strings"

// Domains nobody can own as an organization: mailbox providers open to the
// public, and throwaway-address services. The lists are short on purpose —
// the big providers cover most sign-ups; an exhaustive list goes stale.
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
