package gincache

import (
	"strconv"
	"strings"
	"sync/atomic"
)

// ages caches the Age header values of the first hour, built on first
// use, so a hit formats no number.
var ages [3600]atomic.Pointer[[]string]

func ageValue(seconds int64) []string {
	if seconds < 0 {
		seconds = 0
	}
	if seconds >= int64(len(ages)) {
		return one(strconv.FormatInt(seconds, 10))
	}
	if p := ages[seconds].Load(); p != nil {
		return *p
	}
	v := one(strconv.FormatInt(seconds, 10))
	ages[seconds].Store(&v)
	return v
}

// etagMatches reports whether an If-None-Match header matches etag, with
// the weak comparison RFC 9110 prescribes for If-None-Match ("W/" ignored
// on both sides), without allocating.
func etagMatches(ifNoneMatch []string, etag string) bool {
	if etag == "" {
		return false
	}
	etag = strings.TrimPrefix(etag, "W/")
	for _, line := range ifNoneMatch {
		for line != "" {
			var tag string
			tag, line, _ = strings.Cut(line, ",")
			tag = strings.TrimSpace(tag)
			if tag == "*" {
				return true
			}
			if strings.TrimPrefix(tag, "W/") == etag {
				return true
			}
		}
	}
	return false
}

// requestNoCache reports whether the request asks to bypass caches:
// Cache-Control no-cache or no-store, or, without Cache-Control, the
// HTTP/1.0 "Pragma: no-cache".
func requestNoCache(cacheControl, pragma []string) bool {
	if len(cacheControl) > 0 {
		return hasDirective(cacheControl, "no-cache") || hasDirective(cacheControl, "no-store")
	}
	return hasDirective(pragma, "no-cache")
}

// hasDirective reports whether a comma-separated directive list holds
// name (case-insensitive), with or without a value.
func hasDirective(lines []string, name string) bool {
	for _, line := range lines {
		for line != "" {
			var d string
			d, line, _ = strings.Cut(line, ",")
			d = strings.TrimSpace(d)
			if n, _, _ := strings.Cut(d, "="); strings.EqualFold(strings.TrimSpace(n), name) {
				return true
			}
		}
	}
	return false
}
