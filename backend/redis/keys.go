package redis

import (
	"strings"
	"unsafe"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
)

// Where the Redis backend keeps things: entries, tokens and entries being
// stored in three namespaces under the key prefix, so that a SCAN MATCH
// for entries can never select a token or a staged entry, whatever the
// pattern.
const (
	redisEntryNS  = "e:"
	redisTokenNS  = "t:"
	redisStagedNS = "s:"
)

// namespaces returns the entry, token and staged-entry key prefixes for a
// KeyPrefix.
func namespaces(keyPrefix string) (entry, token, staged string) {
	if keyPrefix != "" {
		keyPrefix += ":"
	}
	return keyPrefix + redisEntryNS, keyPrefix + redisTokenNS, keyPrefix + redisStagedNS
}

// redisKeys builds the Redis keys of one call: the entry's and the
// tokens', in one allocation. The strings share a buffer that is never
// written again, so they stay valid however long go-redis holds them.
func redisKeys(entryNS, key, tokenNS string, names []string, tokens []string) (entry string) {
	n := len(entryNS) + len(key)
	for _, name := range names {
		n += len(tokenNS) + len(name)
	}
	buf := make([]byte, 0, n)
	buf = append(buf, entryNS...)
	buf = append(buf, key...)
	entry = unsafe.String(unsafe.SliceData(buf), len(buf))
	for i, name := range names {
		start := len(buf)
		buf = append(buf, tokenNS...)
		buf = append(buf, name...)
		tokens[i] = unsafe.String(&buf[start], len(buf)-start)
	}
	return entry
}

// tokenLen is the length of a token's stored form: 16 hex digits.
const tokenLen = 16

// formatToken is the stored form of a token value.
func formatToken(t backend.Token) string {
	return string(appendToken(make([]byte, 0, tokenLen), t))
}

// stagedKey is ns followed by formatToken(t), in one allocation.
func stagedKey(ns string, t backend.Token) string {
	b := appendToken(append(make([]byte, 0, len(ns)+tokenLen), ns...), t)
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// appendToken appends t as 16 hex digits, big-endian.
func appendToken(b []byte, t backend.Token) []byte {
	const digits = "0123456789abcdef"
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, digits[uint64(t)>>shift&0xf])
	}
	return b
}

// hexValue maps a lowercase hex digit to its value and any other byte to
// 0xff: parseToken's whole check of a byte is one lookup.
var hexValue = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
	}
	return t
}()

// parseToken reads a stored token; anything else than 16 lowercase hex
// digits, or zero, is not a token: ok false, and the value 0, which
// Lookup hands on as "absent" and the caller treats as a mismatch. A hit
// parses one per token it checks.
func parseToken(s string) (backend.Token, bool) {
	if len(s) != tokenLen {
		return 0, false
	}
	var v uint64
	var bad byte
	for i := 0; i < tokenLen; i++ {
		d := hexValue[s[i]]
		bad |= d
		v = v<<4 | uint64(d&0xf)
	}
	if bad&0xf0 != 0 {
		return 0, false
	}
	return backend.Token(v), v != 0
}

// hashSlot is the Redis Cluster slot of key: CRC16 (XMODEM) of its hash
// tag, the part between the first '{' and the next '}' when not empty, or
// of the whole key, modulo 16384.
func hashSlot(key string) uint16 {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for i := 0; i < len(key); i++ {
		crc = crc<<8 ^ crc16Table[byte(crc>>8)^key[i]]
	}
	return crc & 16383
}

// crc16Table is the table of CRC16-CCITT (XMODEM, polynomial 0x1021).
var crc16Table = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()
