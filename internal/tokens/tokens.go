// Package tokens makes the random secrets Roster hands out (links in mail,
// session cookies, setup links, API client secrets) and the one form the
// database keeps of them, so every such secret is made and stored the same
// way: 256 random bits, written in lowercase base32 (safe in URLs, shells
// and copy-paste), of which only the SHA-256 is stored. A lookup by that
// hash is an index lookup of a value no one can guess, so comparing it
// needs no constant-time care beyond what the database does.
package tokens

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
)

// encoding is lowercase base32 without padding, like Roster's ids.
var encoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Random returns 256 random bits, encoded.
func Random() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("tokens: crypto/rand failed: " + err.Error()) // never returns an error since Go 1.24
	}
	return encoding.EncodeToString(b[:])
}

// New returns a fresh token and the hash to store in its place.
func New() (token string, hash []byte) {
	token = Random()
	return token, Hash(token)
}

// Hash is what the database keeps of token: its SHA-256.
func Hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
