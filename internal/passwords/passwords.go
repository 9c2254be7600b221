// Package passwords hashes and checks passwords. New hashes are argon2id in
// the PHC string format; bcrypt hashes carried over from other systems are
// checked too, and reported as needing a rehash so sign-in can upgrade them.
package passwords

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// The parameters of new hashes: OWASP's argon2id baseline (19 MiB, two
// passes, one lane), about 40 ms per hash on our hardware.
const (
	memoryKiB = 19456
	passes    = 2
	lanes     = 1
	saltLen   = 16
	keyLen    = 32
)

// Bounds on the parameters of a stored argon2id hash. A hash asking for more
// would let one imported row make every sign-in of that user cost gigabytes.
const (
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxPasses    = 64
	minSaltLen   = 8
	minKeyLen    = 16
	maxKeyLen    = 128
)

// ErrUnsupportedHash says a stored hash is not one this package can check.
var ErrUnsupportedHash = errors.New("passwords: unsupported or malformed hash")

// Hash returns the argon2id PHC string of password with a fresh random salt.
func Hash(password string) (string, error) {
	if password == "" {
		return "", errors.New("passwords: empty password")
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, passes, memoryKiB, lanes, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memoryKiB, passes, lanes,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify checks password against a stored argon2id or bcrypt hash. ok is
// true when it matches; needsRehash is then true when the hash is not what
// Hash makes today (bcrypt, or other argon2id parameters), so the caller can
// store Hash(password) instead. err is set only for a hash it cannot read.
func Verify(hash, password string) (ok bool, needsRehash bool, err error) {
	switch {
	case strings.HasPrefix(hash, "$argon2id$"):
		p, err := parseArgon2id(hash)
		if err != nil {
			return false, false, err
		}
		key := argon2.IDKey([]byte(password), p.salt, p.passes, p.memory, p.lanes, uint32(len(p.key)))
		if subtle.ConstantTimeCompare(key, p.key) != 1 {
			return false, false, nil
		}
		current := p.memory == memoryKiB && p.passes == passes && p.lanes == lanes &&
			len(p.salt) == saltLen && len(p.key) == keyLen
		return true, !current, nil
	case isBcrypt(hash):
		err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
		if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			return false, false, nil
		}
		if err != nil {
			return false, false, fmt.Errorf("%w: %v", ErrUnsupportedHash, err)
		}
		return true, true, nil
	}
	return false, false, ErrUnsupportedHash
}

// Check reports whether hash is a well-formed argon2id or bcrypt hash that
// Verify can check, with a reason when it is not. Importers use it to refuse
// anything else, a plaintext password above all.
func Check(hash string) error {
	switch {
	case strings.HasPrefix(hash, "$argon2id$"):
		_, err := parseArgon2id(hash)
		return err
	case strings.HasPrefix(hash, "$2"):
		if !isBcrypt(hash) {
			return errors.New("is not a valid bcrypt hash (want $2a$, $2b$ or $2y$, a two-digit cost from 04 to 31 and 53 characters of salt and hash)")
		}
		return nil
	}
	return errors.New("must be a bcrypt ($2a$, $2b$, $2y$) or argon2id ($argon2id$v=19$m=…,t=…,p=…$salt$hash) hash")
}

// bcryptPattern is the modular crypt format bcrypt writes. $2x$ (hashes made
// by a buggy crypt_blowfish) is left out: Go's bcrypt would not match them.
var bcryptPattern = regexp.MustCompile(`^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$`)

func isBcrypt(hash string) bool { return bcryptPattern.MatchString(hash) }

// b64 is the PHC format's base64: standard alphabet, no padding.
var b64 = base64.RawStdEncoding.Strict()

type argon2idParams struct {
	memory, passes uint32
	lanes          uint8
	salt, key      []byte
}

// parseArgon2id reads $argon2id$v=19$m=…,t=…,p=…$salt$hash strictly: the
// parameters in that order, each once, within bounds, and nothing else.
func parseArgon2id(hash string) (argon2idParams, error) {
	var p argon2idParams
	bad := func(why string) (argon2idParams, error) {
		return p, fmt.Errorf("%w: argon2id %s", ErrUnsupportedHash, why)
	}
	parts := strings.Split(hash, "$")
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, hash
	if len(parts) != 6 || parts[0] != "" {
		return bad("hash must look like $argon2id$v=19$m=19456,t=2,p=1$salt$hash")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("hash must be version 19 (v=19)")
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return bad("parameters must be m=…,t=…,p=…")
	}
	var values [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(params[i], name+"=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil || v != strconv.FormatUint(n, 10) {
			return bad("parameters must be m=…,t=…,p=… with whole numbers")
		}
		values[i] = n
	}
	m, t, l := values[0], values[1], values[2]
	if l < 1 || l > 255 || t < 1 || t > maxPasses || m < 8*l || m > maxMemoryKiB {
		return bad(fmt.Sprintf("parameters are out of range (want 1 ≤ p ≤ 255, 1 ≤ t ≤ %d, 8·p ≤ m ≤ %d KiB)", maxPasses, maxMemoryKiB))
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < minSaltLen {
		return bad(fmt.Sprintf("salt must be unpadded base64 of at least %d bytes", minSaltLen))
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < minKeyLen || len(key) > maxKeyLen {
		return bad(fmt.Sprintf("hash must be unpadded base64 of %d to %d bytes", minKeyLen, maxKeyLen))
	}
	p.memory, p.passes, p.lanes, p.salt, p.key = uint32(m), uint32(t), uint8(l), salt, key
	return p, nil
}
