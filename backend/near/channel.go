package near

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// A channel is this process's invalidation feed from one Redis master: a
// connection of its own in RESP3 with CLIENT TRACKING ON BCAST on the
// entry and renewal-marker namespaces (see Near.mark), and a probe (ROLE) on it every Delta/4,
// one at a time.
//
// Why it is not go-redis's client-side cache: that cache tracks keys in
// default (non-BCAST) mode on every pooled connection and applies the
// invalidations a background drainer finds on idle ones, which bounds
// nothing: it documents itself as eventually consistent. The lease below
// needs an invalidation feed on ONE connection that the probe replies
// share, so that a reply proves every invalidation queued before it has
// been applied; go-redis offers no way to read pushes in order with the
// replies of a connection kept apart from the pool.
//
// Why a probe reply proves it: Redis queues a BCAST invalidation into the
// tracking client's output in the event-loop iteration that ran the
// write (beforeSleep, ahead of writing replies), and the channel has at
// most one probe outstanding, so a probe sent after a write ran is read
// by Redis in a later iteration and its reply follows the invalidation on
// the wire. The reader applies frames in wire order.
type channel struct {
	ep    endpoint
	acked atomic.Int64 // Near.mono() when the last answered probe was sent; 0 for none
	conn  net.Conn     // the live connection, guarded by Near.mu; closed to stop

	ctx    context.Context // canceled when the channel is replaced or closed
	cancel context.CancelFunc
}

// endpoint is how to reach one master.
type endpoint struct {
	addr string
	opt  *redis.Options
}

// dial opens the connection, authenticates in RESP3 and turns tracking on.
func (n *Near) dial(ctx context.Context, ep endpoint) (net.Conn, *bufio.Reader, error) {
	dialer := ep.opt.Dialer
	if dialer == nil {
		dialer = redis.NewDialer(ep.opt)
	}
	network := ep.opt.Network
	if network == "" {
		network = "tcp"
	}
	conn, err := dialer(ctx, network, ep.opt.Addr)
	if err != nil {
		return nil, nil, err
	}
	if n.opts.wrapConn != nil {
		conn = n.opts.wrapConn(conn)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	rd, wr := bufio.NewReader(conn), bufio.NewWriter(conn)
	hello := []string{"HELLO", "3"}
	user, pass, err := credentials(ctx, ep.opt)
	if err == nil && pass != "" {
		if user == "" {
			user = "default"
		}
		hello = append(hello, "AUTH", user, pass)
	}
	track := []string{"CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", n.entryNS, "PREFIX", n.markNS}
	for _, cmd := range [][]string{hello, track} {
		if err != nil {
			break
		}
		if err = writeCommand(wr, cmd...); err != nil {
			break
		}
		var v any
		if v, err = readFrame(rd); err == nil {
			if e, ok := v.(errReply); ok {
				err = e
			}
		}
	}
	if err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("near: channel to %s: %w", ep.addr, err)
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, rd, nil
}

func credentials(ctx context.Context, o *redis.Options) (string, string, error) {
	switch {
	case o.StreamingCredentialsProvider != nil:
		return "", "", errors.New("a StreamingCredentialsProvider is not supported")
	case o.CredentialsProviderContext != nil:
		return o.CredentialsProviderContext(ctx)
	case o.CredentialsProvider != nil:
		u, p := o.CredentialsProvider()
		return u, p, nil
	}
	return o.Username, o.Password, nil
}

// run keeps the channel connected until Close: each new connection drops
// every near entry first, since invalidations may have been missed while
// there was none.
func (n *Near) run(ch *channel) {
	defer n.wg.Done()
	for first := true; ; {
		ctx, cancel := context.WithTimeout(ch.ctx, n.opts.ProbeTimeout)
		conn, rd, err := n.dial(ctx, ch.ep)
		cancel()
		if err == nil {
			n.mu.Lock()
			if ch.ctx.Err() != nil {
				n.mu.Unlock()
				conn.Close()
				return
			}
			ch.conn = conn
			n.mu.Unlock()
			n.flush()
			if !first {
				n.reconnects.Add(1)
			}
			first = false
			err = n.serve(ch, conn, rd)
			n.mu.Lock()
			ch.conn = nil
			n.mu.Unlock()
			conn.Close()
		}
		if ch.ctx.Err() != nil {
			return
		}
		n.log.Log(slog.LevelWarn, "channel:"+ch.ep.addr, "near: invalidation channel down; near hits off until it is back", "node", ch.ep.addr, "err", err)
		t := time.NewTimer(n.opts.Delta)
		select {
		case <-ch.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// serve reads the connection (in a goroutine of its own: invalidations
// come whenever they come) and probes it, until either fails.
func (n *Near) serve(ch *channel, conn net.Conn, rd *bufio.Reader) error {
	replies := make(chan any, 1)
	failed := make(chan error, 1)
	// done releases the reader when serve returns first (a probe timed
	// out, the channel was closed): the caller closes the connection, and
	// the reader must not wait to hand over a reply nobody reads.
	done := make(chan struct{})
	defer close(done)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		for {
			v, err := readFrame(rd)
			if err != nil {
				select {
				case failed <- err:
				case <-done:
				}
				return
			}
			if p, ok := v.(push); ok {
				n.apply(p)
				continue
			}
			select {
			case replies <- v:
			case <-done:
				return
			}
		}
	}()
	wr := bufio.NewWriter(conn)
	period := n.opts.Delta / 4
	for {
		// A reply with no probe outstanding would be credited to the next
		// probe's send time: never trust the connection then.
		select {
		case v := <-replies:
			return fmt.Errorf("near: %s sent a reply to no probe (%v)", ch.ep.addr, v)
		default:
		}
		sent := n.mono()
		_ = conn.SetWriteDeadline(time.Now().Add(n.opts.ProbeTimeout))
		if err := writeCommand(wr, "ROLE"); err != nil {
			return err
		}
		timeout := time.NewTimer(n.opts.ProbeTimeout)
		select {
		case v := <-replies:
			timeout.Stop()
			if !isMaster(v) {
				return fmt.Errorf("near: %s is not a master (ROLE %v)", ch.ep.addr, v)
			}
			ch.acked.Store(sent)
			n.updateLease()
		case err := <-failed:
			timeout.Stop()
			return err
		case <-timeout.C:
			return errors.New("near: probe unanswered for " + n.opts.ProbeTimeout.String())
		case <-ch.ctx.Done():
			timeout.Stop()
			return ch.ctx.Err()
		}
		wait := time.NewTimer(time.Duration(sent + int64(period) - n.mono()))
		select {
		case <-wait.C:
		case err := <-failed:
			wait.Stop()
			return err
		case <-ch.ctx.Done():
			wait.Stop()
			return ch.ctx.Err()
		}
	}
}

func isMaster(v any) bool {
	a, ok := v.([]any)
	if !ok || len(a) == 0 {
		return false
	}
	role, _ := a[0].(string)
	return role == "master"
}

// apply handles a push: an invalidation of keys, or of everything (a nil
// list: FLUSHDB, FLUSHALL).
func (n *Near) apply(p push) {
	if len(p) < 2 {
		return
	}
	if kind, _ := p[0].(string); kind != "invalidate" {
		return
	}
	keys, ok := p[1].([]any)
	if !ok {
		n.flush()
		return
	}
	for _, k := range keys {
		if key, ok := k.(string); ok {
			n.invalidate(key)
		}
	}
}

// updateLease publishes the oldest acknowledged probe among the channels:
// an entry may depend on keys of any master.
func (n *Near) updateLease() {
	n.mu.Lock()
	defer n.mu.Unlock()
	oldest := int64(0)
	for i, ch := range n.chans {
		a := ch.acked.Load()
		if i == 0 || a < oldest {
			oldest = a
		}
	}
	n.lease.Store(oldest)
}

// endpoints lists the masters to track: the client's server (its dialer
// finds the current master behind Sentinel), or each cluster master,
// sorted by address.
func endpoints(ctx context.Context, c redis.UniversalClient) ([]endpoint, error) {
	switch c := c.(type) {
	case *redis.Client:
		return []endpoint{{addr: c.Options().Addr, opt: c.Options()}}, nil
	case *redis.ClusterClient:
		var mu sync.Mutex
		var eps []endpoint
		err := c.ForEachMaster(ctx, func(_ context.Context, m *redis.Client) error {
			mu.Lock()
			eps = append(eps, endpoint{addr: m.Options().Addr, opt: m.Options()})
			mu.Unlock()
			return nil
		})
		if err != nil {
			return nil, err
		}
		slices.SortFunc(eps, func(a, b endpoint) int {
			switch {
			case a.addr < b.addr:
				return -1
			case a.addr > b.addr:
				return 1
			}
			return 0
		})
		return eps, nil
	}
	return nil, fmt.Errorf("near: unsupported client %T", c)
}
