package redis

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/redis/go-redis/v9"
)

const (
	// defaultScanCount is Scan's page size when count <= 0, as Memory's.
	defaultScanCount = 10
	// maxScanCalls bounds the SCAN calls behind one page, so that a
	// pattern matching little in a large keyspace returns a short (even
	// empty) page with a cursor rather than scanning everything at once.
	maxScanCalls = 64
	// clearBatch is the SCAN COUNT and UNLINK pipeline size of ClearPattern.
	clearBatch = 1000
)

// errBadCursor is returned for a Scan cursor this backend did not make.
var errBadCursor = fmt.Errorf("%w (not a redis backend cursor)", backend.ErrBadCursor)

// scanPos is where an iteration stands: a master's address ("" on a
// single master), the SCAN cursor on it, and after: when a SCAN call that
// listed the node's every key (cursor 0 in, 0 out) returned more than a
// page, the page took them in order up to after, and the next page asks
// again and skips those. (miniredis ignores COUNT and always lists
// everything; real Redis does so for small keyspaces.)
type scanPos struct {
	addr   string
	cursor uint64
	after  string
}

// encode makes the opaque, URL-safe cursor string.
func (p scanPos) encode() string {
	s := strconv.FormatUint(p.cursor, 10) + " " + strconv.Itoa(len(p.addr)) + " " + p.addr + p.after
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func decodeCursor(s string) (scanPos, error) {
	if s == "" {
		return scanPos{}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return scanPos{}, errBadCursor
	}
	cur, rest, ok1 := strings.Cut(string(b), " ")
	alen, rest, ok2 := strings.Cut(rest, " ")
	n, err1 := strconv.ParseUint(cur, 10, 64)
	l, err2 := strconv.Atoi(alen)
	if !ok1 || !ok2 || err1 != nil || err2 != nil || l < 0 || l > len(rest) {
		return scanPos{}, errBadCursor
	}
	return scanPos{cursor: n, addr: rest[:l], after: rest[l:]}, nil
}

// serverPattern widens pattern for the server's SCAN MATCH: every '?' and
// every [class] becomes '*', literal bytes and escapes stay. The server
// then returns a superset, and Match selects exactly, so the backend
// agrees with Match (and the memory backend) byte for byte, even on a
// server that matches by characters (miniredis).
func serverPattern(pattern string) string {
	if pattern == "" {
		return "*"
	}
	out := make([]byte, 0, len(pattern))
	lastStar := false
	for p := 0; p < len(pattern); p++ {
		switch c := pattern[p]; c {
		case '\\':
			out = append(out, c)
			if p+1 < len(pattern) {
				p++
				out = append(out, pattern[p])
			}
			lastStar = false
			continue
		case '?', '*':
		case '[':
			// Skip the class exactly as Match parses it.
			end := backend.ClassEnd(pattern, p)
			p = end - 1
		default:
			out = append(out, c)
			lastStar = false
			continue
		}
		if !lastStar {
			out = append(out, '*')
			lastStar = true
		}
	}
	return string(out)
}

// entryMatch is the SCAN MATCH pattern for entry keys matching pattern.
func (r *Redis) entryMatch(pattern string) string {
	return backend.EscapeGlob(r.entryNS) + serverPattern(pattern)
}

// entryKeys keeps the keys SCAN returned that are entries matching
// pattern, skipping those already seen on this page.
func (r *Redis) entryKeys(keys []string, pattern string, seen map[string]bool) []string {
	out := keys[:0]
	for _, k := range keys {
		if !strings.HasPrefix(k, r.entryNS) || !backend.Match(pattern, k[len(r.entryNS):]) || seen[k] {
			continue
		}
		if seen != nil {
			seen[k] = true
		}
		out = append(out, k)
	}
	return out
}

// Scan implements Backend: SCAN on each master in address order, resuming
// at the cursor's node (or the next address, if that node is gone), with
// the TTLs read by a pipeline of PTTL per node. A key may come back on a
// later page, as with Redis SCAN; a page holds it once.
func (r *Redis) Scan(ctx context.Context, pattern, cursor string, count int) ([]backend.KeyInfo, string, error) {
	if r.closed.Load() {
		return nil, "", backend.ErrClosed
	}
	if count <= 0 {
		count = defaultScanCount
	}
	pos, err := decodeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	nodes, err := r.masters(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("backend: redis scan: %w", err)
	}
	i, _ := slices.BinarySearchFunc(nodes, pos.addr, func(n masterNode, addr string) int { return strings.Compare(n.addr, addr) })
	cur, after := uint64(0), ""
	if i < len(nodes) && nodes[i].addr == pos.addr {
		cur, after = pos.cursor, pos.after
	}
	match := r.entryMatch(pattern)
	seen := make(map[string]bool)
	var out []backend.KeyInfo
	for calls := 0; i < len(nodes) && len(out) < count && calls < maxScanCalls; calls++ {
		keys, next, err := nodes[i].client.Scan(ctx, cur, match, int64(count)).Result()
		if err != nil {
			return nil, "", fmt.Errorf("backend: redis scan: %w", err)
		}
		if after != "" {
			keys = slices.DeleteFunc(keys, func(k string) bool { return k <= after })
		}
		keys = r.entryKeys(keys, pattern, seen)
		room := count - len(out)
		if cur == 0 && next == 0 && len(keys) > room {
			// The node's every key, more than fit: take them in order.
			slices.Sort(keys)
			keys = keys[:room]
			infos, err := r.ttls(ctx, nodes[i].client, keys)
			if err != nil {
				return nil, "", err
			}
			return append(out, infos...), scanPos{addr: nodes[i].addr, after: keys[room-1]}.encode(), nil
		}
		after = ""
		infos, err := r.ttls(ctx, nodes[i].client, keys)
		if err != nil {
			return nil, "", err
		}
		out = append(out, infos...)
		if next == 0 {
			i, cur = i+1, 0
		} else {
			cur = next
		}
	}
	if i >= len(nodes) {
		return out, "", nil
	}
	return out, scanPos{addr: nodes[i].addr, cursor: cur}.encode(), nil
}

// ttls reads the keys' TTLs in one pipeline on the node that holds them,
// dropping keys that have gone meanwhile.
func (r *Redis) ttls(ctx context.Context, node *redis.Client, keys []string) ([]backend.KeyInfo, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	pipe := node.Pipeline()
	cmds := make([]*redis.DurationCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.PTTL(ctx, k)
	}
	_, _ = pipe.Exec(ctx)
	out := make([]backend.KeyInfo, 0, len(keys))
	for i, c := range cmds {
		d, err := c.Result()
		if err != nil {
			return nil, fmt.Errorf("backend: redis scan: %w", err)
		}
		switch {
		case d == -2:
			continue // gone since SCAN saw it
		case d < 0:
			d = -1 // no expiry
		}
		out = append(out, backend.KeyInfo{Key: keys[i][len(r.entryNS):], TTL: d})
	}
	return out, nil
}

// ClearPattern implements Backend: on each master, SCAN for matching
// entries and UNLINK them in pipelines of single-key UNLINKs (keys on one
// cluster node may be in different slots). Tokens live outside the entry
// namespace, so no pattern reaches them.
func (r *Redis) ClearPattern(ctx context.Context, pattern string) (int, error) {
	if r.closed.Load() {
		return 0, backend.ErrClosed
	}
	nodes, err := r.masters(ctx)
	if err != nil {
		return 0, fmt.Errorf("backend: redis clear: %w", err)
	}
	match := r.entryMatch(pattern)
	n := 0
	for _, node := range nodes {
		var cur uint64
		for {
			keys, next, err := node.client.Scan(ctx, cur, match, clearBatch).Result()
			if err != nil {
				return n, fmt.Errorf("backend: redis clear: %w", err)
			}
			deleted, err := unlinkAll(ctx, node.client, r.entryKeys(keys, pattern, nil))
			n += deleted
			if err != nil {
				return n, fmt.Errorf("backend: redis clear: %w", err)
			}
			if next == 0 {
				break
			}
			cur = next
		}
	}
	return n, nil
}

func unlinkAll(ctx context.Context, node *redis.Client, keys []string) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	pipe := node.Pipeline()
	cmds := make([]*redis.IntCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.Unlink(ctx, k)
	}
	_, _ = pipe.Exec(ctx)
	n := 0
	for _, c := range cmds {
		d, err := c.Result()
		if err != nil {
			return n, err
		}
		n += int(d)
	}
	return n, nil
}
