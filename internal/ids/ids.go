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

// HasPrefix reports whether id looks like an id of the given kind.
func HasPrefix(id, prefix string) bool {
	rest, ok := strings.CutPrefix(id, prefix+"_")
	return ok && len(rest) == 26
}
