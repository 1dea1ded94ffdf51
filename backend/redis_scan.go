package backend

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

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
var errBadCursor = errors.New("backend: invalid redis scan cursor")

// scanPos is where an iteration stands: a master's address ("" on a
// single master) and the SCAN cursor on it.
type scanPos struct {
	addr   string
	cursor uint64
}

// encode makes the opaque, URL-safe cursor string.
func (p scanPos) encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatUint(p.cursor, 10) + "@" + p.addr))
}

func decodeCursor(s string) (scanPos, error) {
	if s == "" {
		return scanPos{}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return scanPos{}, errBadCursor
	}
	cur, addr, ok := strings.Cut(string(b), "@")
	if !ok {
		return scanPos{}, errBadCursor
	}
	n, err := strconv.ParseUint(cur, 10, 64)
	if err != nil {
		return scanPos{}, errBadCursor
	}
	return scanPos{addr: addr, cursor: n}, nil
}

// entryMatch is the SCAN MATCH pattern for entry keys matching pattern.
func (r *Redis) entryMatch(pattern string) string {
	if pattern == "" {
		pattern = "*"
	}
	return EscapeGlob(r.entryNS) + pattern
}

// Scan implements Backend: SCAN on each master in address order, resuming
// at the cursor's node (or the next address, if that node is gone), with
// the TTLs read by a pipeline of PTTL per node. A key may come back on a
// later page, as with Redis SCAN; a page holds it once.
func (r *Redis) Scan(ctx context.Context, pattern, cursor string, count int) ([]KeyInfo, string, error) {
	if r.closed.Load() {
		return nil, "", ErrClosed
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
	cur := uint64(0)
	if i < len(nodes) && nodes[i].addr == pos.addr {
		cur = pos.cursor
	}
	match := r.entryMatch(pattern)
	seen := make(map[string]bool)
	var out []KeyInfo
	for calls := 0; i < len(nodes) && len(out) < count && calls < maxScanCalls; calls++ {
		keys, next, err := nodes[i].client.Scan(ctx, cur, match, int64(count)).Result()
		if err != nil {
			return nil, "", fmt.Errorf("backend: redis scan: %w", err)
		}
		var fresh []string
		for _, k := range keys {
			if !seen[k] {
				seen[k] = true
				fresh = append(fresh, k)
			}
		}
		infos, err := r.ttls(ctx, nodes[i].client, fresh)
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
func (r *Redis) ttls(ctx context.Context, node *redis.Client, keys []string) ([]KeyInfo, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	pipe := node.Pipeline()
	cmds := make([]*redis.DurationCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.PTTL(ctx, k)
	}
	_, _ = pipe.Exec(ctx)
	out := make([]KeyInfo, 0, len(keys))
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
		out = append(out, KeyInfo{Key: keys[i][len(r.entryNS):], TTL: d})
	}
	return out, nil
}

// ClearPattern implements Backend: on each master, SCAN for matching
// entries and UNLINK them in pipelines of single-key UNLINKs (keys on one
// cluster node may be in different slots). Tokens live outside the entry
// namespace, so no pattern reaches them.
func (r *Redis) ClearPattern(ctx context.Context, pattern string) (int, error) {
	if r.closed.Load() {
		return 0, ErrClosed
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
			deleted, err := unlinkAll(ctx, node.client, keys)
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
