// Package secretbox encrypts the few secrets Roster must read back (a social
// provider's client secret, an SSO connection's), so a copy of the database
// alone does not give them away. Each purpose gets its own AES-256-GCM key,
// derived from the server's secret key with HMAC-SHA256 of a fixed label:
// a ciphertext made for one purpose does not open under another.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
)

// version leads every sealed value, so the format can change later without
// guessing which rows hold the old one.
const version byte = 1

// ErrOpen says a sealed value is damaged, was sealed under another key or
// label, or belongs to another row.
var ErrOpen = errors.New("secretbox: cannot open the sealed value")

// Box seals and opens values for one purpose. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// New returns the box for label (e.g. "roster/social-providers/client-secret")
// keyed from secret, the server's secret key.
func New(secret []byte, label string) *Box {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	block, err := aes.NewCipher(m.Sum(nil)) // 32 bytes: AES-256
	if err != nil {
		panic("secretbox: " + err.Error()) // cannot happen with a 32-byte key
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic("secretbox: " + err.Error())
	}
	return &Box{aead: aead}
}

// Seal encrypts plaintext. bound is not stored but must be given again to
// Open: pass the id of the row the value lives in, so a sealed value copied
// into another row does not open there.
func (b *Box) Seal(plaintext, bound []byte) []byte {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("secretbox: crypto/rand failed: " + err.Error())
	}
	out := append([]byte{version}, nonce...)
	return b.aead.Seal(out, nonce, plaintext, bound)
}

// Open decrypts what Seal made with the same bound value.
func (b *Box) Open(sealed, bound []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < 1+n+b.aead.Overhead() || sealed[0] != version {
		return nil, ErrOpen
	}
	plain, err := b.aead.Open(nil, sealed[1:1+n], sealed[1+n:], bound)
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
