package directory_test

import (
	"strings"
	"testing"

	"roster/internal/directory"
)

func TestNormalizeDomain(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"example.com":                    "example.com",
		"  Example.COM.  ":               "example.com",
		"mail.eu.example.co.uk":          "mail.eu.example.co.uk",
		"xn--bcher-kva.de":               "xn--bcher-kva.de",
		"a-b.c0.io":                      "a-b.c0.io",
		"123.example.com":                "123.example.com",
		strings.Repeat("a", 63) + ".com": strings.Repeat("a", 63) + ".com",
	}
	for in, want := range good {
		if got, problem := directory.NormalizeDomain(in); got != want || problem != "" {
			t.Errorf("%q: %q %q, want %q", in, got, problem, want)
		}
	}
	bad := []string{
		"", " ", "com", "localhost", "ann@example.com", "https://example.com", "example.com/x",
		"example.com:443", "1.2.3.4", "example.c", "example.1com", "-a.com", "a-.com", "a..com",
		".com", "*.example.com", "a_b.com", "bücher.de", "exa mple.com",
		strings.Repeat("a", 64) + ".com", strings.Repeat("abcdefghi.", 26) + "com",
	}
	for _, in := range bad {
		if got, problem := directory.NormalizeDomain(in); problem == "" {
			t.Errorf("%q accepted as %q", in, got)
		}
	}
}

func TestBlockedDomainLists(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"gmail.com", "GMAIL.COM", "mail.gmail.com", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com", "proton.me"} {
		if !directory.IsPublicEmailDomain(d) {
			t.Errorf("%s is not public", d)
		}
	}
	for _, d := range []string{"mailinator.com", "x.mailinator.com", "yopmail.com"} {
		if !directory.IsDisposableEmailDomain(d) {
			t.Errorf("%s is not disposable", d)
		}
	}
	for _, d := range []string{"acme.com", "gmail.com.acme.com", "notgmail.com", "com"} {
		if directory.IsPublicEmailDomain(d) || directory.IsDisposableEmailDomain(d) {
			t.Errorf("%s is blocked", d)
		}
	}
}
