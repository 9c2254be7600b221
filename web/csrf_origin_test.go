package web

import "testing"

func TestOriginOf(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"https://roster.example.com", "https://roster.example.com", true},
		{"HTTPS://Roster.Example.COM", "https://roster.example.com", true},
		{"https://roster.example.com:443", "https://roster.example.com", true}, // the default port is left out
		{"http://roster.example.com:80/", "http://roster.example.com", true},
		{"https://roster.example.com:8443", "https://roster.example.com:8443", true},
		{"http://[::1]:8080", "http://[::1]:8080", true},
		{"http://[::1]", "http://[::1]", true},
		{"null", "", false},
		{"", "", false},
		{"ftp://roster.example.com", "", false},
		{"https://roster.example.com/path", "", false}, // an Origin has no path
		{"https://user@roster.example.com", "", false},
		{"https://", "", false},
	} {
		got, ok := originOf(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("originOf(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
