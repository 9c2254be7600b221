package ids

import "testing"

func TestValid(t *testing.T) {
	made := New(Connection)
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{made, true},
		{"conn_abcdefghijklmnopqrstuvwxyz", true},
		{"conn_234567abcdefghijklmnopqrst", true},
		{"conn_ABCDEFGHIJKLMNOPQRSTUVWXYZ", false}, // upper case
		{"conn_abcdefghijklmnopqrstuvwxy1", false}, // 1 is not base32
		{"conn_abcdefghijklmnopqrstuvwxy", false},  // 25 characters
		{"conn_abcdefghijklmnopqrstuvwxyza", false},
		{"org_abcdefghijklmnopqrstuvwxyz", false},
		{"conn-abcdefghijklmnopqrstuvwxyz", false},
		{"conn_abcdefghijklmnopqrstuvw/.z", false},
		{"", false},
	} {
		if got := Valid(tc.id, Connection); got != tc.want {
			t.Errorf("Valid(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}
