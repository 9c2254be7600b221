// Package nullable converts between Go strings and the *string of a
// nullable column, where an empty value is stored as NULL.
package nullable

// String returns nil for "" and a pointer to s otherwise.
func String(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Value returns the string p points to, or "" for nil.
func Value(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
