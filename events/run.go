package events

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Options wire a relay for a worker process.
type Options struct {
	Log    Log
	Outbox Outbox
	// KafkaBrokers and KafkaTopic publish to Kafka when the brokers are set.
	KafkaBrokers, KafkaTopic string
	Config                   Config
	// AllowPrivate lets webhooks reach loopback, private and link-local
	// addresses (tests, single-host setups); off, they are refused at dial.
	AllowPrivate bool
}

// Run relays, delivers and publishes until ctx ends. It is what a worker
// process starts beside its job workers.
func Run(ctx context.Context, o Options) {
	r := &Relay{Log: o.Log, Outbox: o.Outbox, Config: o.Config.WithDefaults(), Client: NewHTTPClient(o.AllowPrivate)}
	if o.KafkaBrokers != "" {
		k, err := NewKafka(o.KafkaBrokers, o.KafkaTopic)
		if err != nil {
			slog.Error("events: kafka is off", "err", err)
		} else {
			defer k.Close()
			r.Publisher = k
		}
	}
	slog.Info("event relay running", "kafka", r.Publisher != nil)
	r.Run(ctx)
}

// NewHTTPClient returns the client that sends webhooks: it does not follow
// redirects (a redirect is an answer that is not 2xx) and, unless
// allowPrivate, refuses to connect to loopback, private, link-local
// (cloud metadata), unspecified and multicast addresses: a tenant's admin
// must not reach docflow's own network through a webhook. The check is on
// the address actually dialled, so a name that resolves (or rebinds) to
// such an address is refused too.
func NewHTTPClient(allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if !allowPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			ip, err := netip.ParseAddr(host)
			if err != nil {
				return fmt.Errorf("webhook: %q is not an IP address", host)
			}
			if !PublicAddr(ip) {
				return fmt.Errorf("webhook: %s is not a public address", ip)
			}
			return nil
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = d.DialContext
	tr.Proxy = nil
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// PublicAddr reports whether a webhook may be sent to ip.
func PublicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// nonPublic are the ranges, beyond the standard library's categories,
// that reach no public host or may lead to an internal one.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking networks
	netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments
	netip.MustParsePrefix("240.0.0.0/4"),   // reserved, and the broadcast address
	netip.MustParsePrefix("64:ff9b::/96"),  // NAT64: any IPv4 address, private ones included
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2002::/16"),     // 6to4: an IPv4 address inside
	netip.MustParsePrefix("fec0::/10"),     // deprecated site-local
	netip.MustParsePrefix("2001:db8::/32"), // documentation
}
