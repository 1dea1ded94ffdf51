package backend

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
	"unsafe"

	"github.com/redis/go-redis/v9"
)

// Lookup implements Backend in one round trip: GET of the entry and the
// tokens' MGETs (one per hash slot) in one pipeline.
func (r *Redis) Lookup(ctx context.Context, key string, tok Tokens) (*Entry, error) {
	if r.closed.Load() {
		return nil, ErrClosed
	}
	if len(tok.Values) != len(tok.Names) {
		return nil, errTokenLengths
	}
	tokenKeys := make([]string, len(tok.Names))
	entryKey := redisKeys(r.entryNS, key, r.tokenNS, tok.Names, tokenKeys)

	pipe := r.client.Pipeline()
	get := pipe.Get(ctx, entryKey)
	groups := r.slotGroups(tokenKeys)
	mgets := make([]*redis.SliceCmd, len(groups))
	for i, g := range groups {
		mgets[i] = pipe.MGet(ctx, g.keys...)
	}
	_, _ = pipe.Exec(ctx) // errors are read per command below

	current, err := readTokens(groups, mgets, len(tok.Names))
	if err != nil {
		return nil, fmt.Errorf("backend: redis lookup: %w", err)
	}
	data, err := get.Result()
	switch {
	case errors.Is(err, redis.Nil):
		copy(tok.Values, current)
		return nil, ErrNotFound
	case err != nil:
		return nil, fmt.Errorf("backend: redis lookup: %w", err)
	}
	e := new(Entry)
	// The entry aliases the reply's bytes instead of copying them: the
	// string is never written, and an Entry from Lookup is read-only.
	if err := e.UnmarshalBinary(unsafe.Slice(unsafe.StringData(data), len(data))); err != nil {
		copy(tok.Values, current)
		return nil, err
	}
	if !slices.Equal(e.Tokens, current) {
		copy(tok.Values, current)
		return nil, ErrNotFound
	}
	return e, nil
}

var errTokenLengths = errors.New("backend: Tokens.Names and Tokens.Values differ in length")

// slotGroup is the token keys of one hash slot, and their positions in
// the call's list.
type slotGroup struct {
	keys []string
	at   []int
}

// slotGroups splits token keys by hash slot on a cluster, where a
// multi-key command must stay within one slot; elsewhere it is one group.
func (r *Redis) slotGroups(keys []string) []slotGroup {
	if len(keys) == 0 {
		return nil
	}
	if r.cluster == nil {
		return []slotGroup{{keys: keys}}
	}
	var slots []uint16
	var groups []slotGroup
	for i, k := range keys {
		s := hashSlot(k)
		j := slices.Index(slots, s)
		if j < 0 {
			j = len(groups)
			slots = append(slots, s)
			groups = append(groups, slotGroup{})
		}
		groups[j].keys = append(groups[j].keys, k)
		groups[j].at = append(groups[j].at, i)
	}
	return groups
}

// readTokens gathers the MGET replies into one value per token: 0 where
// absent or unreadable as a token (which then matches no entry).
func readTokens(groups []slotGroup, mgets []*redis.SliceCmd, n int) ([]Token, error) {
	current := make([]Token, n)
	for i, g := range groups {
		vals, err := mgets[i].Result()
		if err != nil {
			return nil, err
		}
		if len(vals) != len(g.keys) {
			return nil, fmt.Errorf("MGET returned %d values for %d keys", len(vals), len(g.keys))
		}
		for j, v := range vals {
			pos := j
			if g.at != nil {
				pos = g.at[j]
			}
			if s, ok := v.(string); ok {
				current[pos], _ = parseToken(s)
			}
		}
	}
	return current, nil
}

// Store implements Backend. Present tokens get their TTL raised to at
// least ttl (PEXPIRE GT) in the same pipeline as the entry's SET. Absent
// ones are first created with SET NX GET (Redis 7.0), and the entry is set
// only if every one of them was created here: one found already there
// means a write raced the fill, and the store is abandoned.
func (r *Redis) Store(ctx context.Context, key string, e *Entry, ttl time.Duration, tok Tokens) error {
	if r.closed.Load() {
		return ErrClosed
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
	tokenKeys := make([]string, len(tok.Names))
	entryKey := redisKeys(r.entryNS, key, r.tokenNS, tok.Names, tokenKeys)
	values := slices.Clone(tok.Values)
	var created []int
	for i, v := range values {
		if v == 0 {
			values[i] = NewToken()
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
		sets[j] = pipe.SetArgs(ctx, tokenKeys[i], formatToken(values[i]), redis.SetArgs{Mode: "NX", Get: true, TTL: ttl})
	}
	var extends []*redis.Cmd
	for i, v := range tok.Values {
		if v != 0 {
			extends = append(extends, pipe.Do(ctx, "pexpire", tokenKeys[i], ttl.Milliseconds(), "gt"))
		}
	}
	if len(created) > 0 {
		// The entry must wait for the SET NX replies.
		_, _ = pipe.Exec(ctx) // errors are read per command
		for _, set := range sets {
			switch err := set.Err(); {
			case err == nil:
				return ErrConflict // the old value came back: someone else made it
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

// ceilMillis rounds d up to whole milliseconds, Redis's finest TTL.
func ceilMillis(d time.Duration) time.Duration {
	return (d + time.Millisecond - 1).Truncate(time.Millisecond)
}

// Renew implements Backend: one pipeline of SET name value PX ttl. A SET
// replaces the value whatever was there; a token is never deleted.
func (r *Redis) Renew(ctx context.Context, names []string, ttl time.Duration) error {
	if r.closed.Load() {
		return ErrClosed
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
		pipe.Set(ctx, k, formatToken(NewToken()), ttl)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("backend: redis renew: %w", err)
	}
	return nil
}

// Delete implements Backend with one UNLINK.
func (r *Redis) Delete(ctx context.Context, key string) (bool, error) {
	if r.closed.Load() {
		return false, ErrClosed
	}
	n, err := r.client.Unlink(ctx, r.entryNS+key).Result()
	if err != nil {
		return false, fmt.Errorf("backend: redis delete: %w", err)
	}
	return n > 0, nil
}
