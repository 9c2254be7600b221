package tokens

import (
	"bytes"
	"crypto/sha256"
	"regexp"
	"testing"
)

func TestNew(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		tok, hash := New()
		if !regexp.MustCompile(`^[a-z2-7]{52}$`).MatchString(tok) {
			t.Fatalf("token %q is not 256 bits of lowercase base32", tok)
		}
		if seen[tok] {
			t.Fatal("a token came twice")
		}
		seen[tok] = true
		want := sha256.Sum256([]byte(tok))
		if !bytes.Equal(hash, want[:]) || !bytes.Equal(Hash(tok), hash) {
			t.Fatal("the stored hash is not the token's SHA-256")
		}
	}
}
