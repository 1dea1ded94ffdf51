package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/admin"
	"github.com/intelligentcache/gin-intelligent-cache/gincache"
)

// Mount with no option answers loopback connections only.
func ExampleMount() {
	clock := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	cache, err := gincache.New(nil, gincache.WithClock(clock))
	if err != nil {
		panic(err)
	}
	defer cache.Close()
	cache.Service().Set(context.Background(), "greeting", []byte("hello"), time.Minute)

	r := gin.New()
	if _, err := admin.Mount(r, cache); err != nil {
		panic(err)
	}

	get := func(peer, path string) {
		req := httptest.NewRequest("GET", path, nil)
		req.RemoteAddr, req.Host = peer, "localhost"
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		fmt.Println(w.Code, w.Body.String())
	}
	get("127.0.0.1:50000", "/api/cache/keys")
	get("198.51.100.7:50000", "/api/cache/keys")
	// Output:
	// 200 {"keys":[{"key":"greeting","ttl":60}],"cursor":"0"}
	// 403 {"error":"admin: forbidden: the connection does not come from a loopback address; without admin.WithAuth the admin routes answer only direct connections from loopback (see docs/SECURITY.md)"}
}

// WithAuth puts the application's own middleware in front of every admin
// route, the dashboard page included.
func ExampleWithAuth() {
	cache, err := gincache.New(nil)
	if err != nil {
		panic(err)
	}
	defer cache.Close()
	requireToken := func(c *gin.Context) {
		if c.GetHeader("Authorization") != "Bearer let-me-in" {
			c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "unauthorized"})
		}
	}
	r := gin.New()
	if _, err := admin.Mount(r, cache, admin.WithAuth(requireToken)); err != nil {
		panic(err)
	}

	for _, token := range []string{"", "let-me-in"} {
		req := httptest.NewRequest("POST", "/api/cache/clear", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		fmt.Println(w.Code, w.Body.String())
	}
	// Output:
	// 401 {"error":"unauthorized"}
	// 200 {"cleared":0}
}
