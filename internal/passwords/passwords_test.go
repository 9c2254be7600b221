package passwords

import (
	"strings"
	"testing"
)

// Hashes made by other implementations, as an import would carry them over.
const (
	// argon2-cffi's README (libargon2, the reference implementation).
	argonCFFI     = "$argon2id$v=19$m=65536,t=3,p=4$MIIRqgvgQbgj220jfp0MPA$YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg"
	argonCFFIPass = "correct horse battery staple"
	// A 16-byte key with eight lanes, from an older argon2-cffi README.
	argonShort     = "$argon2id$v=19$m=102400,t=2,p=8$tSm+JOWigOgPZx/g44K5fQ$WDyus6py50bVFIPkjA28lQ"
	argonShortPass = "s3kr3tp4ssw0rd"
	// libxcrypt's crypt(3) with the prefixes PHP, OpenBSD and Node use.
	bcrypt2a   = "$2a$05$abcdefghijklmnopqrstuuHNbAKRhpaujgo33bRWs.NLUTJO3lOy2"
	bcrypt2b   = "$2b$05$abcdefghijklmnopqrstuuHNbAKRhpaujgo33bRWs.NLUTJO3lOy2"
	bcrypt2y   = "$2y$05$abcdefghijklmnopqrstuuHNbAKRhpaujgo33bRWs.NLUTJO3lOy2"
	bcryptPass = "correct horse"
)

func TestVerifyForeignHashes(t *testing.T) {
	for _, tc := range []struct{ hash, password string }{
		{argonCFFI, argonCFFIPass},
		{argonShort, argonShortPass},
		{bcrypt2a, bcryptPass},
		{bcrypt2b, bcryptPass},
		{bcrypt2y, bcryptPass},
	} {
		if err := Check(tc.hash); err != nil {
			t.Errorf("Check(%s) = %v", tc.hash, err)
		}
		ok, rehash, err := Verify(tc.hash, tc.password)
		if err != nil || !ok || !rehash {
			t.Errorf("Verify(%s, right) = %v, %v, %v; want true, true (not our parameters), nil", tc.hash, ok, rehash, err)
		}
		if ok, _, err := Verify(tc.hash, strings.ToUpper(tc.password)); ok || err != nil {
			t.Errorf("Verify(%s, wrong) = %v, %v; want false, nil", tc.hash, ok, err)
		}
	}
}

func TestHashRoundTrip(t *testing.T) {
	h, err := Hash("hunter2 hunter2")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("Hash = %s, want argon2id with m=19456,t=2,p=1", h)
	}
	if err := Check(h); err != nil {
		t.Fatalf("Check(own hash) = %v", err)
	}
	ok, rehash, err := Verify(h, "hunter2 hunter2")
	if !ok || rehash || err != nil {
		t.Fatalf("Verify(own hash) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	if ok, _, _ := Verify(h, "hunter2"); ok {
		t.Fatal("a wrong password verified")
	}
	h2, _ := Hash("hunter2 hunter2")
	if h2 == h {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	if _, err := Hash(""); err == nil {
		t.Fatal("Hash accepted an empty password")
	}
}

func TestCheckRefuses(t *testing.T) {
	for _, bad := range []string{
		"",
		"hunter2", // a plaintext password
		"$2x$05$abcdefghijklmnopqrstuuHNbAKRhpaujgo33bRWs.NLUTJO3lOy2", // buggy crypt_blowfish
		"$2b$03$abcdefghijklmnopqrstuuHNbAKRhpaujgo33bRWs.NLUTJO3lOy2", // cost below 4
		"$2b$05$abcdefghijklmnopqrstuuHNbAKRhpaujgo33bRWs.NLUTJO3lOy",  // one character short
		"$2b$05$abcdefghijklmnopqrstuuHNbAKRhpaujgo33bRWs.NLUTJO3lOy2 ",
		"$argon2i$v=19$m=65536,t=3,p=4$MIIRqgvgQbgj220jfp0MPA$YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg",
		"$argon2id$m=65536,t=3,p=4$MIIRqgvgQbgj220jfp0MPA$YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg",        // no version
		"$argon2id$v=16$m=65536,t=3,p=4$MIIRqgvgQbgj220jfp0MPA$YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg",   // old version
		"$argon2id$v=19$t=3,m=65536,p=4$MIIRqgvgQbgj220jfp0MPA$YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg",   // order
		"$argon2id$v=19$m=9999999,t=3,p=4$MIIRqgvgQbgj220jfp0MPA$YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg", // 9.5 GiB
		"$argon2id$v=19$m=65536,t=0,p=4$MIIRqgvgQbgj220jfp0MPA$YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg",
		"$argon2id$v=19$m=65536,t=3,p=4$MIIRqgvgQbgj220jfp0MPA==$YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg", // padded
		"$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg",                   // 4-byte salt
		"$argon2id$v=19$m=65536,t=3,p=4$MIIRqgvgQbgj220jfp0MPA$YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg$",
		"$argon2id$v=19$m=65536,t=03,p=4$MIIRqgvgQbgj220jfp0MPA$YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg",
	} {
		if err := Check(bad); err == nil {
			t.Errorf("Check(%q) = nil, want an error", bad)
		}
		if ok, _, err := Verify(bad, "hunter2"); ok || err == nil {
			t.Errorf("Verify(%q) = %v, %v; want false and an error", bad, ok, err)
		}
	}
}
