package secretbox

import (
	"bytes"
	"errors"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	box := New(key, "test/label")
	secret := []byte("client-secret-value")
	sealed := box.Seal(secret, []byte("conn_1"))

	if bytes.Contains(sealed, secret) {
		t.Fatal("the sealed value contains the plaintext")
	}
	if again := box.Seal(secret, []byte("conn_1")); bytes.Equal(again, sealed) {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	got, err := box.Open(sealed, []byte("conn_1"))
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}

	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	for name, open := range map[string]func() ([]byte, error){
		"another row":   func() ([]byte, error) { return box.Open(sealed, []byte("conn_2")) },
		"another label": func() ([]byte, error) { return New(key, "other/label").Open(sealed, []byte("conn_1")) },
		"another key": func() ([]byte, error) {
			return New(bytes.Repeat([]byte{8}, 32), "test/label").Open(sealed, []byte("conn_1"))
		},
		"a flipped bit":     func() ([]byte, error) { return box.Open(flipped, []byte("conn_1")) },
		"truncated":         func() ([]byte, error) { return box.Open(sealed[:10], []byte("conn_1")) },
		"empty":             func() ([]byte, error) { return box.Open(nil, []byte("conn_1")) },
		"an unknown format": func() ([]byte, error) { return box.Open(append([]byte{9}, sealed[1:]...), []byte("conn_1")) },
	} {
		if _, err := open(); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: Open err = %v, want ErrOpen", name, err)
		}
	}
}
