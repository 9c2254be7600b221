package directory

import (
	"net/mail"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"roster/internal/apperr"
	"roster/internal/model"
)

var slugPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// NormalizeEmail trims an address and checks it is one plain addr-spec
// ("ann@example.com", no display name). Case is kept as typed; comparisons
// are case-insensitive everywhere.
func NormalizeEmail(raw string) (string, bool) {
	email := strings.TrimSpace(raw)
	if email == "" || len(email) > 320 || strings.ContainsAny(email, " \t\r\n<>\"(),;") {
		return email, false
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return email, false
	}
	at := strings.LastIndexByte(email, '@')
	if at < 1 || !strings.Contains(email[at+1:], ".") {
		return email, false
	}
	return email, true
}

func checkEmail(v *apperr.Violations, field, raw string) string {
	email, ok := NormalizeEmail(raw)
	if !ok {
		v.Add(field, "must be a valid email address, like ann@example.com")
	}
	return email
}

func checkLen(v *apperr.Violations, field, s string, min, max int) {
	n := utf8.RuneCountInString(s)
	switch {
	case min > 0 && n == 0:
		v.Add(field, "is required")
	case n < min:
		v.Add(field, "must be at least "+strconv.Itoa(min)+" characters")
	case n > max:
		v.Add(field, "must be at most "+strconv.Itoa(max)+" characters")
	}
}

func checkOptional(v *apperr.Violations, field string, s *string, max int) *string {
	if s == nil {
		return nil
	}
	t := strings.TrimSpace(*s)
	if t == "" {
		return nil
	}
	checkLen(v, field, t, 1, max)
	return &t
}

func checkSlug(v *apperr.Violations, s *string) *string {
	if s == nil || strings.TrimSpace(*s) == "" {
		return nil
	}
	t := strings.TrimSpace(*s)
	if !slugPattern.MatchString(t) {
		v.Add("slug", "must be lowercase letters, digits and inner hyphens, at most 63 characters (a DNS label)")
	}
	return &t
}

// Metadata limits: at most maxMetadataKeys keys of 3–25 characters, values
// of at most 256. The database checks the same (roster_valid_metadata).
const maxMetadataKeys = 100

// MetadataProblems lists what is wrong with a metadata map, in key order:
// each entry is a key ("" for the map as a whole) and what to fix. Every
// caller (services, the importer) checks metadata through it.
func MetadataProblems(m model.Metadata) [][2]string {
	var out [][2]string
	if len(m) > maxMetadataKeys {
		out = append(out, [2]string{"", "must have at most 100 keys"})
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if n := utf8.RuneCountInString(k); n < 3 || n > 25 {
			out = append(out, [2]string{k, "keys must be 3 to 25 characters"})
		}
		if utf8.RuneCountInString(m[k]) > 256 {
			out = append(out, [2]string{k, "values must be at most 256 characters"})
		}
	}
	return out
}

// ValidSlug reports whether s is a DNS label, the form of organization slugs.
func ValidSlug(s string) bool { return slugPattern.MatchString(s) }

func checkMetadata(v *apperr.Violations, field string, m model.Metadata) model.Metadata {
	if m == nil {
		return model.Metadata{}
	}
	for _, p := range MetadataProblems(m) {
		if p[0] == "" {
			v.Add(field, p[1])
		} else {
			v.Add(field+"."+p[0], p[1])
		}
	}
	return m
}

func checkHTTPSURL(v *apperr.Violations, field string, s *string) *string {
	if s == nil || strings.TrimSpace(*s) == "" {
		return nil
	}
	t := strings.TrimSpace(*s)
	u, err := url.Parse(t)
	if err != nil || u.Scheme != "https" || u.Host == "" || len(t) > 2048 {
		v.Add(field, "must be an https URL")
	}
	return &t
}
