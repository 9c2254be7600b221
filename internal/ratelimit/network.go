package ratelimit

import "net/netip"

// Network is the network a client address belongs to, as far as limits
// care: its /24 for IPv4 and its /64 for IPv6 (what one home or office
// line usually gets). An attacker seldom owns a whole other network; the
// rightful owner is usually on one.
func Network(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip // not an address (a test label, say): its own network
	}
	addr = addr.Unmap()
	bits := 64
	if addr.Is4() {
		bits = 24
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return ip
	}
	return p.String()
}
