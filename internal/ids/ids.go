// Package ids makes the prefixed, unguessable identifiers Roster gives its
// objects (org_…, usr_…, ses_…). Each id carries 128 random bits, so ids can
// appear in URLs without letting anyone enumerate objects.
package ids

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

// Prefixes of every kind of object.
const (
	Organization = "org"
	User         = "usr"
	Identity     = "idn"
	Membership   = "mem"
	Role         = "role"
	Permission   = "perm"
	Domain       = "dom"
	Session      = "ses"
	Connection   = "conn"
	APIClient    = "cli"
	AuditEvent   = "evt"
	Email        = "eml"
	Token        = "tok"
	Invitation   = "inv"
)

// Lowercase base32 without padding: URL-safe and readable.
var encoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// New returns prefix + "_" + 26 characters encoding 128 random bits.
func New(prefix string) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("ids: crypto/rand failed: " + err.Error())
	}
	return prefix + "_" + encoding.EncodeToString(b[:])
}

// Valid reports whether id is exactly what New(prefix) makes: the prefix
// and 26 characters of the lowercase base32 alphabet. An id that arrives
// from outside (a form's hidden field) is checked with it before use.
func Valid(id, prefix string) bool {
	rest, ok := strings.CutPrefix(id, prefix+"_")
	if !ok || len(rest) != 26 {
		return false
	}
	for _, r := range rest {
		if !(r >= 'a' && r <= 'z' || r >= '2' && r <= '7') {
			return false
		}
	}
	return true
}

// HasPrefix reports whether id looks like an id of the given kind.
func HasPrefix(id, prefix string) bool {
	rest, ok := strings.CutPrefix(id, prefix+"_")
	return ok && len(rest) == 26
}
