package redis

import (
	"hash/maphash"
	"sync"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
)

// A store must leave every token it records alive at least as long as
// the entry (a token that dies first only turns the entry into a miss,
// never into a stale hit, but a miss all the same). Raising a present
// token's TTL took a PEXPIRE inside the store script for every token on
// every store, most of them on the epoch and the shared tokens of the
// root and the first segment, whose TTLs were already far off; inside a
// script each is a write, dearer than its own line in INFO commandstats
// shows. BenchmarkRedisFillServerTime measures what skipping them saves.
//
// So a token is created or extended to live tokenLifeFactor times what
// the store needs, and the backend remembers, per token and value, until
// when it is known to live. A later store whose entry ends before that
// skips the extension (storeScript's "=" mode). The memory is keyed by
// the value: a token renewed by a write has a new value, so what was
// known of the old one does not carry over. What can shorten a token's
// life without changing its value (eviction under maxmemory, a failover
// to a replica that missed the extension) only makes it die early: the
// misses the extension was there to spare, no stale response.

// tokenLifeFactor is how many times its needed TTL a store gives a token
// it creates or extends: a second store need not extend it again until
// half its life has passed.
const tokenLifeFactor = 2

// maxTokenLives bounds the tokens remembered (about 32 bytes each, half
// a megabyte in all): enough for 8,000 paths stored within a token's
// life, with two tokens of their own each, and the shared ones. Past it,
// each new token takes the place of one remembered at random, so the
// tokens every store records (the epoch, the root's, the first
// segments') are noted again at once and stay known, and paths beyond
// the bound are known in proportion. Starting over at the bound (as this
// memory did) forgot every token at once, and with it every store's
// extensions were back: two PEXPIREs per store in the report's Redis miss
// at 16 KiB, whose 2,048 paths hold 4,099 tokens (bench/,
// BenchmarkStoreLayout, redis-cmds/op).
const maxTokenLives = 16384

// tokenLives remembers until when tokens are known to live.
type tokenLives struct {
	base time.Time // the monotonic origin of until
	seed maphash.Seed
	mu   sync.Mutex
	m    map[uint64]tokenLife // by the hash of the token's key
}

// tokenLife is what is known of one token: while it holds v, it lives at
// least until until (time since base).
type tokenLife struct {
	v     backend.Token
	until time.Duration
}

func newTokenLives() *tokenLives {
	return &tokenLives{base: time.Now(), seed: maphash.MakeSeed(), m: make(map[uint64]tokenLife)}
}

// now is the time since base, on the monotonic clock.
func (l *tokenLives) now() time.Duration { return time.Since(l.base) }

// covers reports whether the token at key, holding v, is known to live
// until at least until.
func (l *tokenLives) covers(key string, v backend.Token, until time.Duration) bool {
	h := maphash.String(l.seed, key)
	l.mu.Lock()
	life, ok := l.m[h]
	l.mu.Unlock()
	return ok && life.v == v && life.until >= until
}

// note records that the token at key, holding v, lives until at least
// until.
func (l *tokenLives) note(key string, v backend.Token, until time.Duration) {
	h := maphash.String(l.seed, key)
	l.mu.Lock()
	if len(l.m) >= maxTokenLives {
		if _, ok := l.m[h]; !ok {
			// A map's iteration starts at a random place: this drops
			// one token picked at random.
			for k := range l.m {
				delete(l.m, k)
				break
			}
		}
	}
	l.m[h] = tokenLife{v: v, until: until}
	l.mu.Unlock()
}

// forget drops everything remembered: after a restart or failover of the
// server, which may have rolled tokens back.
func (l *tokenLives) forget() {
	l.mu.Lock()
	clear(l.m)
	l.mu.Unlock()
}
