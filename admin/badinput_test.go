package admin_test

import (
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/admin"
	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/gincache"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// Found by FuzzAdminQuery: a cursor that is valid base64url, so the admin
// API passes it on, but that the Redis backend never made was answered
// 503 ("cache backend: ..."), blaming the backend for the client's input.
// It must be a 400 naming cursor, as other bad cursors are.
func TestForeignCursorIsA400OnRedis(t *testing.T) {
	srv := testutil.StartRedis(t)
	rb, err := redis.New(srv.URL(), testRedisOptions(""))
	require.NoError(t, err)
	t.Cleanup(func() { rb.Close() })
	cache, err := gincache.New(table, gincache.WithBackend(rb), gincache.WithLogger(quietLog), gincache.WithBudget(testutil.Budget))
	require.NoError(t, err)
	t.Cleanup(func() { cache.Close() })
	e := gin.New()
	_, err = admin.Mount(e, cache)
	require.NoError(t, err)
	// "abc" and "AA" decode to bytes the backend cannot read as a
	// position; "MA" is "0" with no node part.
	for _, cursor := range []string{"abc", "AA", "MA"} {
		w := serveLocal(e, http.MethodGet, "/api/cache/keys?cursor="+cursor)
		r := response{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
		checkJSON(t, "cursor="+cursor, r)
		_, param := r.errorBody(t)
		assert.Equal(t, http.StatusBadRequest, w.Code, "cursor=%s: %d %s, want 400 naming cursor", cursor, w.Code, w.Body)
		assert.Equal(t, "cursor", param, "cursor=%s: %d %s, want 400 naming cursor", cursor, w.Code, w.Body)
	}
}
