package redis

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
	"unsafe"

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
	// vals[i] is keys[i]'s value, "" when the key is absent: no stored
	// value is empty (an entry has its encoding's header, a token its 16
	// digits), and reading strings rather than []any spares a boxed copy
	// of each of the reply's values.
	var vals []string
	var err error
	if r.cluster == nil {
		cmd := redis.NewStringSliceCmd(ctx, argsOf("mget", keys)...)
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
	if data := vals[0]; data != "" {
		e := new(backend.Entry)
		// The entry's strings and body are views of the reply's string: no
		// copy, and an Entry from Lookup is read-only.
		err = e.DecodeString(data)
		if err == nil && tokensMatch(e.Tokens, vals[1:]) && r.epoch.Load() == epoch {
			return e, nil
		}
	}
	for i, v := range vals[1:] {
		tok.Values[i], _ = parseToken(v) // 0 when absent or malformed
	}
	if err != nil {
		return nil, err // ErrCorrupt: a miss the cache stores over
	}
	return nil, backend.ErrNotFound
}

// tokensMatch reports whether the entry's recorded tokens are the current
// values, every one present and well formed.
func tokensMatch(recorded []backend.Token, current []string) bool {
	if len(recorded) != len(current) {
		return false
	}
	for i, v := range current {
		t, ok := parseToken(v)
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
// go-redis sends to each node at once, and returns their values in order,
// "" for an absent key (as Lookup reads them).
func (r *Redis) clusterGet(ctx context.Context, keys []string) ([]string, error) {
	groups := bySlot(keys[1:]) // positions in keys[1:], per slot
	pipe := r.client.Pipeline()
	get := pipe.Get(ctx, keys[0])
	mgets := make([]*redis.StringSliceCmd, len(groups))
	for j, at := range groups {
		group := make([]string, len(at))
		for n, i := range at {
			group[n] = keys[1+i]
		}
		mgets[j] = redis.NewStringSliceCmd(ctx, argsOf("mget", group)...)
		_ = pipe.Process(ctx, mgets[j])
	}
	_, _ = pipe.Exec(ctx) // errors are read per command
	vals := make([]string, len(keys))
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
			vals[1+i] = got[n]
		}
	}
	return vals, nil
}

// Store implements Backend in one round trip on a standalone or Sentinel
// master: one pipeline of a SET that stages the entry under a key of its
// own (in the staged namespace, with the entry's TTL) and an EVALSHA of
// storeScript, which checks every token against what Lookup read, creates
// the absent ones (only if still absent: SET NX semantics), raises the
// present ones' TTL to at least the entry's (PEXPIRE GT) unless they are
// known to live that long already (lives.go), and RENAMEs the
// staged entry over the entry's key only if no token changed (it deletes
// it otherwise). The entry's bytes never pass through the script: Lua
// would copy them and hash every byte. On a cluster, where the entry and
// the tokens live in different slots, it is one script call per hash slot
// of tokens (one pipeline, which go-redis sends to each node at once),
// then the entry's SET if none found a change.
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
	// keys[:n] are the tokens', keys[n] the entry's: storeScript's KEYS
	// on a cluster; storeOne adds the staged entry's.
	n := len(tok.Names)
	// One array for the keys and the wants: keys[:n] and keys[n], with
	// room for the staged entry's key, then wants.
	strs := make([]string, 2*n+2)
	keys, wants := strs[:n+1:n+2], strs[n+2:]
	keys[n] = redisKeys(r.entryNS, key, r.tokenNS, tok.Names, keys[:n])
	values := slices.Clone(tok.Values)
	// Every token must live at least need from now; those created or
	// extended get life.
	now := r.lives.now()
	need := ttl + tokenTTLMargin
	life := tokenLifeFactor * need
	// wants[i] is what storeScript expects of token i: its value as read
	// (then extended), "=" and its value as read (not extended: it is
	// known to live long enough), or "+" and the value to create it with.
	// They are views of one buffer, made to their total size, so that no
	// append moves it.
	wantBuf := make([]byte, 0, n*(1+tokenLen))
	for i, v := range values {
		start := len(wantBuf)
		switch {
		case v == 0:
			values[i] = backend.NewToken()
			wantBuf = appendToken(append(wantBuf, '+'), values[i])
		case r.lives.covers(keys[i], v, now+need):
			wantBuf = appendToken(append(wantBuf, '='), v)
		default:
			wantBuf = appendToken(wantBuf, v)
		}
		wants[i] = unsafe.String(&wantBuf[start], len(wantBuf)-start)
	}
	e.Tokens = values
	buf := encodeBuffer(e.Size())
	defer releaseEncodeBuffer(buf)
	data, err := e.AppendBinary((*buf)[:0])
	if err != nil {
		return err
	}
	*buf = data
	var stored bool
	if r.cluster == nil {
		stored, err = r.storeOne(ctx, keys, wants, life.Milliseconds(), data, ttl)
	} else {
		stored, err = r.clusterStore(ctx, keys, wants, life.Milliseconds(), data, ttl)
	}
	switch {
	case err != nil:
		return fmt.Errorf("backend: redis store: %w", err)
	case !stored:
		return backend.ErrConflict
	}
	for i, w := range wants {
		if w[0] != '=' {
			r.lives.note(keys[i], values[i], now+life)
		}
	}
	copy(tok.Values, values)
	return nil
}

// encodeBuffers holds the buffers Store encodes entries into. go-redis
// has written a command's arguments to the connection when the call
// returns, and nothing keeps them, so a buffer serves the next Store. A
// buffer made for each Store costs, for a large body, its allocation, its
// zeroing and the page faults of fresh memory: as much as the rest of the
// store's client work at 256 KiB (bench/, BenchmarkMiss on Redis).
var encodeBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledEncode bounds the buffers encodeBuffers keeps: an outsized
// entry's buffer goes to the GC rather than pinning its size in the pool.
const maxPooledEncode = 4 << 20

// encodeBuffer returns a pooled buffer with room for n bytes.
func encodeBuffer(n int) *[]byte {
	buf := encodeBuffers.Get().(*[]byte)
	if cap(*buf) < n {
		*buf = make([]byte, 0, n)
	}
	return buf
}

func releaseEncodeBuffer(buf *[]byte) {
	if cap(*buf) <= maxPooledEncode {
		encodeBuffers.Put(buf)
	}
}

// storeScript checks and writes one Store's tokens, and on a single
// master moves its staged entry into place. Everything it touches lives
// on one node (a slot, on a cluster), and a script runs atomically: no
// write can slip between the check and the entry's RENAME.
//
//	KEYS[1..n]  the tokens; then, on a single master, the staged entry
//	            and the entry
//	ARGV[1]     the TTL in ms of the tokens created or extended
//	ARGV[1+i]   token i as Lookup read it (then extended: PEXPIRE GT), "="
//	            and token i as Lookup read it (not extended), or "+" and
//	            the value to create it with
//
// It returns 1 when it wrote, 0 when a token was not what Lookup read (a
// write raced the fill), having written nothing and deleted the staged
// entry. The staged entry carries the entry's TTL, which RENAME keeps. A
// staged entry already gone when the script runs (evicted under
// maxmemory, or past a TTL shorter than the round trip) also returns 0:
// nothing stored, as on a conflict, rather than an error that would count
// against the circuit breaker.
var storeScript = redis.NewScript(`
local n = #ARGV - 1
if n > 0 then
  local got = redis.call('MGET', unpack(KEYS, 1, n))
  for i = 1, n do
    local want = ARGV[1 + i]
    local mode = string.byte(want, 1)
    if mode == 43 then
      if got[i] then want = nil end
    elseif mode == 61 then
      if got[i] ~= string.sub(want, 2) then want = nil end
    elseif got[i] ~= want then
      want = nil
    end
    if not want then
      if #KEYS > n then redis.call('DEL', KEYS[n + 1]) end
      return 0
    end
  end
  for i = 1, n do
    local want = ARGV[1 + i]
    local mode = string.byte(want, 1)
    if mode == 43 then
      redis.call('SET', KEYS[i], string.sub(want, 2), 'PX', ARGV[1])
    elseif mode ~= 61 then
      redis.call('PEXPIRE', KEYS[i], ARGV[1], 'GT')
    end
  end
end
if #KEYS > n and redis.pcall('RENAME', KEYS[n + 1], KEYS[n + 2])['err'] then
  return 0
end
return 1
`)

// storeScriptSHA is storeScript's SHA1, read once: Script.Hash takes a
// lock shared by every store, and its string, boxed as an argument,
// would be an allocation per store; a pointer to it is neither. The
// script is never loaded through Script.Load, the one call that could
// change what Hash returns.
var storeScriptSHA = storeScript.Hash()

// storeArgs lays out storeScript's arguments.
func storeArgs(wants []string, tokenTTL int64) []any {
	args := make([]any, 1, 1+len(wants))
	args[0] = tokenTTL
	for i := range wants {
		args = append(args, &wants[i]) // by pointer: no allocation per string
	}
	return args
}

// storeOne stores on one master in one pipeline: the SET that stages the
// entry, then EVALSHA of storeScript for the tokens, the staged entry and
// the entry (keys holds the tokens' and the entry's; it has room for the
// staged entry's). If the server does not know the script, after a
// restart or a failover, EVAL sends it (and loads it) in a second round
// trip; the staged entry is still there for it.
func (r *Redis) storeOne(ctx context.Context, keys, wants []string, tokenTTL int64, data []byte, ttl time.Duration) (bool, error) {
	n := len(keys) - 1
	// A staged key of its own per Store: two fills of one key, in two
	// processes, never move each other's entry.
	staged := stagedKey(r.stagedNS, backend.NewToken())
	keys = append(keys[:n], staged, keys[n])
	args := storeArgs(wants, tokenTTL)
	pipe := r.client.Pipeline()
	set := redis.NewStatusCmd(ctx, "set", &staged, data, "px", ttl.Milliseconds())
	_ = pipe.Process(ctx, set)
	// EVALSHA built here rather than by Script.EvalSha, which boxes each
	// key (an allocation per key per store): the keys go by pointer.
	evalArgs := make([]any, 0, 3+len(keys)+len(args))
	evalArgs = append(evalArgs, "evalsha", &storeScriptSHA, len(keys))
	for i := range keys {
		evalArgs = append(evalArgs, &keys[i])
	}
	eval := redis.NewCmd(ctx, append(evalArgs, args...)...)
	_ = pipe.Process(ctx, eval)
	_, _ = pipe.Exec(ctx) // errors are read per command
	if err := set.Err(); err != nil {
		return false, err
	}
	if err := eval.Err(); err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		eval = storeScript.Eval(ctx, r.client, keys, args...)
	}
	stored, err := eval.Int()
	return stored == 1, err
}

// clusterStore runs storeScript once per hash slot of tokens, in one
// pipeline, and sets the entry (keys[0]) only if every call found its
// tokens as Lookup read them.
func (r *Redis) clusterStore(ctx context.Context, keys, wants []string, tokenTTL int64, data []byte, ttl time.Duration) (bool, error) {
	tokenKeys, entryKey := keys[:len(keys)-1], keys[len(keys)-1]
	groups := bySlot(tokenKeys)
	run := func(eval func(pipe redis.Pipeliner, keys []string, args ...any) *redis.Cmd, only []bool) ([]*redis.Cmd, error) {
		pipe := r.client.Pipeline()
		cmds := make([]*redis.Cmd, len(groups))
		for j, at := range groups {
			if only != nil && !only[j] {
				continue
			}
			gk, gw := make([]string, len(at)), make([]string, len(at))
			for n, i := range at {
				gk[n], gw[n] = tokenKeys[i], wants[i]
			}
			cmds[j] = eval(pipe, gk, storeArgs(gw, tokenTTL)...)
		}
		_, err := pipe.Exec(ctx)
		return cmds, err
	}
	cmds, _ := run(func(pipe redis.Pipeliner, k []string, args ...any) *redis.Cmd {
		return storeScript.EvalSha(ctx, pipe, k, args...)
	}, nil)
	// A node that does not know the script (restarted, or new) gets it
	// with EVAL, which also loads it there.
	var unknown []bool
	for j, c := range cmds {
		if redis.HasErrorPrefix(c.Err(), "NOSCRIPT") {
			if unknown == nil {
				unknown = make([]bool, len(cmds))
			}
			unknown[j] = true
		}
	}
	if unknown != nil {
		again, _ := run(func(pipe redis.Pipeliner, k []string, args ...any) *redis.Cmd {
			return storeScript.Eval(ctx, pipe, k, args...)
		}, unknown)
		for j, c := range again {
			if c != nil {
				cmds[j] = c
			}
		}
	}
	for _, c := range cmds {
		n, err := c.Int()
		if err != nil || n != 1 {
			return false, err
		}
	}
	return true, r.client.Set(ctx, entryKey, data, ttl).Err()
}

// bySlot groups keys by hash slot: the positions in keys of each slot's.
func bySlot(keys []string) [][]int {
	var slots []uint16
	var groups [][]int
	for i, k := range keys {
		s := hashSlot(k)
		j := slices.Index(slots, s)
		if j < 0 {
			j = len(groups)
			slots = append(slots, s)
			groups = append(groups, nil)
		}
		groups[j] = append(groups[j], i)
	}
	return groups
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
