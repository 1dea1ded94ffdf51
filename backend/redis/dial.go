package redis

import (
	"context"
	"crypto/tls"
	"net"
	"time"
)

// The connections of the clients New and NewCluster build, unless
// Options.PeekConnections: go-redis checks a pooled connection each time a
// command takes one, with a recvfrom(MSG_PEEK) system call through
// syscall.Conn, and skips the check for a connection that is not one (a
// TLS connection, or a connection a custom Options.Dialer wraps, the
// extension point go-redis's maintainers point to). A Redis hit is one
// command, so the check was a system call and three allocations on top of
// the round trip every time; a cache that serves from Redis pays it on
// every request. Options.PeekConnections documents the trade.

// unpeekedMaxIdle is how long an idle connection stays in the pool: a
// server that closes idle clients (Redis's timeout, a proxy's) does it
// after minutes, so a connection used within the last one is open but
// for a restart or a failover since.
const unpeekedMaxIdle = time.Minute

// unpeekedConn hides the connection's syscall.Conn from go-redis's check;
// everything else is the connection's own.
type unpeekedConn struct{ net.Conn }

// UnpeekedDialer returns a go-redis dialer (Options.Dialer,
// FailoverOptions.Dialer, ClusterOptions.Dialer) that dials with dial and
// returns plain connections go-redis does not peek at before each
// command, as the clients New and NewCluster build unless
// Options.PeekConnections (which says what it trades). For a client of
// your own passed to FromClient, a Sentinel one for instance, set it with
// a ConnMaxIdleTime of a minute, as they do:
//
//	opt.Dialer = redis.UnpeekedDialer(goredis.NewDialer(&goredis.Options{DialTimeout: opt.DialTimeout, TLSConfig: opt.TLSConfig}))
//	opt.ConnMaxIdleTime = time.Minute
//
// A TLS connection, which go-redis never peeks at, is returned as it is.
func UnpeekedDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if _, ok := c.(*tls.Conn); ok {
			return c, nil
		}
		return unpeekedConn{c}, nil
	}
}
