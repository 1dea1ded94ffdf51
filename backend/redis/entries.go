package redis

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/redis/go-redis/v9"
)

// Lookup implements Backend in one round trip. On a single master it is
// one MGET of the entry and the tokens together; on a cluster, where they
// live in different slots, one pipeline of GET and an MGET per slot.
//
// A lookup during which Epoch changed returns no entry: it may be the
// probe whose success closed the breaker after an outage, and nothing
// stored before the outage may be served until the cache has renewed its
// epoch token (writes may have been answered without their invalidation).
func (r *Redis) Lookup(ctx context.Context, key string, tok backend.Tokens) (*backend.Entry, error) {
	if r.closed.Load() {
		return nil, backend.ErrClosed
	}
	epoch := r.epoch.Load()
	if len(tok.Values) != len(tok.Names) {
		return nil, errTokenLengths
	}
	// keys[0] is the entry's, keys[1:] the tokens'.
	keys := make([]string, 1+len(tok.Names))
	keys[0] = redisKeys(r.entryNS, key, r.tokenNS, tok.Names, keys[1:])
	var vals []any
	var err error
	if r.cluster == nil {
		cmd := redis.NewSliceCmd(ctx, argsOf("mget", keys)...)
		_ = r.client.Process(ctx, cmd)
		vals, err = cmd.Result()
	} else {
		vals, err = r.clusterGet(ctx, keys)
	}
	if err == nil && len(vals) != len(keys) {
		err = fmt.Errorf("MGET returned %d values for %d keys", len(vals), len(keys))
	}
	if err != nil {
		return nil, fmt.Errorf("backend: redis lookup: %w", err)
	}
	data, found := vals[0].(string)
	if found {
		e := new(backend.Entry)
		// The entry's strings and body are views of the reply's string: no
		// copy, and an Entry from Lookup is read-only.
		err = e.DecodeString(data)
		if err == nil && tokensMatch(e.Tokens, vals[1:]) && r.epoch.Load() == epoch {
			return e, nil
		}
	}
	for i, v := range vals[1:] {
		tok.Values[i] = 0
		if s, ok := v.(string); ok {
			tok.Values[i], _ = parseToken(s)
		}
	}
	if err != nil {
		return nil, err // ErrCorrupt: a miss the cache stores over
	}
	return nil, backend.ErrNotFound
}

// tokensMatch reports whether the entry's recorded tokens are the current
// values, every one present and well formed.
func tokensMatch(recorded []backend.Token, current []any) bool {
	if len(recorded) != len(current) {
		return false
	}
	for i, v := range current {
		s, _ := v.(string)
		t, ok := parseToken(s)
		if !ok || t != recorded[i] {
			return false
		}
	}
	return true
}

// argsOf returns a command's arguments: its name, then each key by
// pointer, which go-redis writes as it writes a string. Boxing a pointer
// in an interface allocates nothing; boxing a string allocates, per key,
// on every hit.
func argsOf(name string, keys []string) []any {
	args := make([]any, 1+len(keys))
	args[0] = name
	for i := range keys {
		args[1+i] = &keys[i]
	}
	return args
}

var errTokenLengths = errors.New("backend: Tokens.Names and Tokens.Values differ in length")

// clusterGet reads keys[0] (an entry, in a slot of its own) and keys[1:]
// (tokens, grouped by hash slot, one MGET each) in one pipeline, which
// go-redis sends to each node at once, and returns their values in order.
func (r *Redis) clusterGet(ctx context.Context, keys []string) ([]any, error) {
	var slots []uint16
	var groups [][]int // positions in keys, per slot
	for i, k := range keys[1:] {
		s := hashSlot(k)
		j := slices.Index(slots, s)
		if j < 0 {
			j = len(groups)
			slots = append(slots, s)
			groups = append(groups, nil)
		}
		groups[j] = append(groups[j], i+1)
	}
	pipe := r.client.Pipeline()
	get := pipe.Get(ctx, keys[0])
	mgets := make([]*redis.SliceCmd, len(groups))
	for j, at := range groups {
		group := make([]string, len(at))
		for n, i := range at {
			group[n] = keys[i]
		}
		mgets[j] = redis.NewSliceCmd(ctx, argsOf("mget", group)...)
		_ = pipe.Process(ctx, mgets[j])
	}
	_, _ = pipe.Exec(ctx) // errors are read per command
	vals := make([]any, len(keys))
	switch data, err := get.Result(); {
	case err == nil:
		vals[0] = data
	case !errors.Is(err, redis.Nil):
		return nil, err
	}
	for j, at := range groups {
		got, err := mgets[j].Result()
		if err != nil {
			return nil, err
		}
		if len(got) != len(at) {
			return nil, fmt.Errorf("MGET returned %d values for %d keys", len(got), len(at))
		}
		for n, i := range at {
			vals[i] = got[n]
		}
	}
	return vals, nil
}

// Store implements Backend. Present tokens get their TTL raised to at
// least ttl (PEXPIRE GT) in the same pipeline as the entry's SET. Absent
// ones are first created with SET NX GET (Redis 7.0), and the entry is set
// only if every one of them was created here: one found already there
// means a write raced the fill, and the store is abandoned.
func (r *Redis) Store(ctx context.Context, key string, e *backend.Entry, ttl time.Duration, tok backend.Tokens) error {
	if r.closed.Load() {
		return backend.ErrClosed
	}
	if ttl <= 0 {
		return errors.New("backend: Store needs a positive ttl")
	}
	if e == nil {
		return errors.New("backend: Store needs an entry")
	}
	if len(tok.Values) != len(tok.Names) {
		return errTokenLengths
	}
	ttl = ceilMillis(ttl)
	tokenTTL := ttl + tokenTTLMargin
	tokenKeys := make([]string, len(tok.Names))
	entryKey := redisKeys(r.entryNS, key, r.tokenNS, tok.Names, tokenKeys)
	values := slices.Clone(tok.Values)
	var created []int
	for i, v := range values {
		if v == 0 {
			values[i] = backend.NewToken()
			created = append(created, i)
		}
	}
	e.Tokens = values
	data, err := e.MarshalBinary()
	if err != nil {
		return err
	}

	pipe := r.client.Pipeline()
	sets := make([]*redis.StatusCmd, len(created))
	for j, i := range created {
		sets[j] = pipe.SetArgs(ctx, tokenKeys[i], formatToken(values[i]), redis.SetArgs{Mode: "NX", Get: true, TTL: tokenTTL})
	}
	var extends []*redis.Cmd
	for i, v := range tok.Values {
		if v != 0 {
			extends = append(extends, pipe.Do(ctx, "pexpire", tokenKeys[i], tokenTTL.Milliseconds(), "gt"))
		}
	}
	if len(created) > 0 {
		// The entry must wait for the SET NX replies.
		_, _ = pipe.Exec(ctx) // errors are read per command
		for _, set := range sets {
			switch err := set.Err(); {
			case err == nil:
				return backend.ErrConflict // the old value came back: someone else made it
			case !errors.Is(err, redis.Nil):
				return fmt.Errorf("backend: redis store: %w", err)
			}
		}
		if err := firstErr(extends); err != nil {
			return fmt.Errorf("backend: redis store: %w", err)
		}
		pipe = r.client.Pipeline()
		extends = nil
	}
	set := pipe.Set(ctx, entryKey, data, ttl)
	_, _ = pipe.Exec(ctx)
	if err := cmp.Or(firstErr(extends), set.Err()); err != nil {
		return fmt.Errorf("backend: redis store: %w", err)
	}
	copy(tok.Values, values)
	return nil
}

// firstErr returns the first error among cmds.
func firstErr(cmds []*redis.Cmd) error {
	for _, c := range cmds {
		if err := c.Err(); err != nil {
			return err
		}
	}
	return nil
}

// tokenTTLMargin is how much longer than an entry a token it records is
// kept, so that the token, written first, does not expire before the
// entry written after it.
const tokenTTLMargin = time.Second

// ceilMillis rounds d up to whole milliseconds, Redis's finest TTL.
func ceilMillis(d time.Duration) time.Duration {
	return (d + time.Millisecond - 1).Truncate(time.Millisecond)
}

// Renew implements Backend: one pipeline of SET name value PX ttl. A SET
// replaces the value whatever was there; a token is never deleted.
func (r *Redis) Renew(ctx context.Context, names []string, ttl time.Duration) error {
	if r.closed.Load() {
		return backend.ErrClosed
	}
	if ttl <= 0 {
		return errors.New("backend: Renew needs a positive ttl")
	}
	if len(names) == 0 {
		return nil
	}
	ttl = ceilMillis(ttl)
	tokenKeys := make([]string, len(names))
	redisKeys(r.entryNS, "", r.tokenNS, names, tokenKeys)
	pipe := r.client.Pipeline()
	for _, k := range tokenKeys {
		pipe.Set(ctx, k, formatToken(backend.NewToken()), ttl)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("backend: redis renew: %w", err)
	}
	return nil
}

// Delete implements Backend with one UNLINK.
func (r *Redis) Delete(ctx context.Context, key string) (bool, error) {
	if r.closed.Load() {
		return false, backend.ErrClosed
	}
	n, err := r.client.Unlink(ctx, r.entryNS+key).Result()
	if err != nil {
		return false, fmt.Errorf("backend: redis delete: %w", err)
	}
	return n > 0, nil
}
