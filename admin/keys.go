package admin

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/gincache"
)

// DefaultPageSize is the number of keys GET /keys asks the backend for
// when count is not given.
const DefaultPageSize = 100

// KeyInfo is one key of a GET /keys page.
type KeyInfo struct {
	// Key is relative to the cache's key prefix, as the Service takes it.
	Key string `json:"key"`
	// TTL is the time left in whole seconds, rounded up (so a live key
	// never shows 0); -1 when the key has no expiry.
	TTL int64 `json:"ttl"`
}

// KeyPage is the answer of GET /keys.
type KeyPage struct {
	Keys []KeyInfo `json:"keys"`
	// Cursor resumes the listing; "0" when it is complete.
	Cursor string `json:"cursor"`
}

// doneCursor starts and ends a listing, as with Redis SCAN.
const doneCursor = "0"

// encodeCursor wraps the backend's cursor ("" when done) so that no
// backend cursor can be mistaken for "0": unpadded base64url never has
// length 1.
func encodeCursor(next string) string {
	if next == "" {
		return doneCursor
	}
	return base64.RawURLEncoding.EncodeToString([]byte(next))
}

func decodeCursor(s string) (string, error) {
	if s == "" || s == doneCursor {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return "", errors.New("not a cursor this API returned")
	}
	return string(b), nil
}

// ttlSeconds turns a backend TTL into whole seconds, rounded up.
func ttlSeconds(d time.Duration) int64 {
	if d < 0 {
		return -1
	}
	return int64((d + time.Second - 1) / time.Second)
}

// listKeys serves GET /keys?pattern=&cursor=&count=.
func (a *api) listKeys(c *gin.Context) {
	q, ok := params(c, "pattern", "cursor", "count")
	if !ok {
		return
	}
	count := DefaultPageSize
	if s, ok := q["count"]; ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > gincache.MaxPageSize {
			fail(c, http.StatusBadRequest, "count", "count: %q is not a whole number from 1 to %d", s, gincache.MaxPageSize)
			return
		}
		count = n
	}
	cursor, err := decodeCursor(q["cursor"])
	if err != nil {
		fail(c, http.StatusBadRequest, "cursor", "cursor: %v; start a listing with cursor 0 or none", err)
		return
	}
	page, err := a.svc.Keys(c.Request.Context(), q["pattern"], cursor, count)
	if errors.Is(err, backend.ErrBadCursor) {
		// A cursor of the right shape that the backend never made.
		fail(c, http.StatusBadRequest, "cursor", "cursor: not a cursor this API returned; start a listing with cursor 0 or none")
		return
	}
	if err != nil {
		serviceError(c, "pattern", err)
		return
	}
	out := KeyPage{Keys: make([]KeyInfo, len(page.Keys)), Cursor: encodeCursor(page.Cursor)}
	for i, k := range page.Keys {
		out.Keys[i] = KeyInfo{Key: k.Key, TTL: ttlSeconds(k.TTL)}
	}
	respond(c, http.StatusOK, out)
}

// catchAll returns the value of the route's trailing *name parameter,
// taken from the decoded URL.Path rather than from c.Param: with
// Engine.UseRawPath set, Gin unescapes parameters as query values, which
// turns '+' into a space.
func catchAll(c *gin.Context, name string) string {
	prefix := strings.TrimSuffix(c.FullPath(), "*"+name)
	if rest, ok := strings.CutPrefix(c.Request.URL.Path, prefix); ok {
		return rest
	}
	return strings.TrimPrefix(c.Param(name), "/")
}

// deleteKey serves DELETE /keys/*key. Keys hold "/", so the key is the
// whole rest of the path, URL-decoded once: a client escapes the key as
// a path segment (encodeURIComponent, url.PathEscape), or sends it as it
// is when it holds no '%', '?' or '#'.
func (a *api) deleteKey(c *gin.Context) {
	if _, ok := params(c); !ok {
		return
	}
	key := catchAll(c, "key")
	deleted, err := a.svc.Delete(c.Request.Context(), key)
	if err != nil {
		serviceError(c, "key", err)
		return
	}
	if !deleted {
		fail(c, http.StatusNotFound, "key", "key: no entry %q", key)
		return
	}
	respond(c, http.StatusOK, gin.H{"deleted": true})
}
