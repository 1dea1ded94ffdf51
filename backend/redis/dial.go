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

// unpeekedDialer wraps dial so that its plain connections are not peeked
// at; a TLS connection is never peeked at and stays as it is.
func unpeekedDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
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
