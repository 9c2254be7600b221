package web

import (
	"net"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

// A client may not choose its own address with a header unless the request
// comes through a trusted proxy: rate limits and the audit log rely on it.
func TestClientIPTrustsOnlyNamedProxies(t *testing.T) {
	_, proxies, _ := net.ParseCIDR("10.1.0.0/16")
	cases := []struct {
		name    string
		trusted []*net.IPNet
		remote  string
		xff     string
		want    string
	}{
		{"no proxies: the header is ignored", nil, "203.0.113.9:5000", "198.51.100.1", "203.0.113.9"},
		{"from a trusted proxy: the header counts", []*net.IPNet{proxies}, "10.1.2.3:5000", "198.51.100.1", "198.51.100.1"},
		{"from elsewhere: the header is ignored", []*net.IPNet{proxies}, "203.0.113.9:5000", "198.51.100.1", "203.0.113.9"},
		{"a forged hop before the proxy is skipped", []*net.IPNet{proxies}, "10.1.2.3:5000", "6.6.6.6, 198.51.100.1", "198.51.100.1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := echo.New()
			e.IPExtractor = clientIP(c.trusted)
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = c.remote
			req.Header.Set(echo.HeaderXForwardedFor, c.xff)
			if got := e.NewContext(req, httptest.NewRecorder()).RealIP(); got != c.want {
				t.Errorf("RealIP = %s, want %s", got, c.want)
			}
		})
	}
}
