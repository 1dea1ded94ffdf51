package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestUsersNeverSeeEachOthersProfile drives the example over real HTTP.
func TestUsersNeverSeeEachOthersProfile(t *testing.T) {
	r, cache, err := newEngine()
	require.NoError(t, err)
	defer cache.Close()
	srv := httptest.NewServer(r)
	defer srv.Close()
	get := func(token string) (status int, user, xcache string) {
		req, _ := http.NewRequest("GET", srv.URL+"/user/profile", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		var body struct{ User string }
		json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, body.User, res.Header.Get("X-Cache")
	}
	want := []struct{ token, user, xcache string }{
		{"alice-token", "alice", "MISS"},
		{"bob-token", "bob", "MISS"},
		{"alice-token", "alice", "HIT"},
		{"bob-token", "bob", "HIT"},
	}
	for _, w := range want {
		status, user, xcache := get(w.token)
		require.Equal(t, 200, status, "%s: status %d user %q X-Cache %q, want %s %s", w.token, status, user, xcache, w.user, w.xcache)
		require.Equal(t, w.user, user, "%s: status %d user %q X-Cache %q, want %s %s", w.token, status, user, xcache, w.user, w.xcache)
		require.Equal(t, w.xcache, xcache, "%s: status %d user %q X-Cache %q, want %s %s", w.token, status, user, xcache, w.user, w.xcache)
	}
	status, _, xcache := get("")
	require.Equal(t, 401, status, "no token: status %d X-Cache %q; auth must run before the cache", status, xcache)
	require.Empty(t, xcache, "no token: status %d X-Cache %q; auth must run before the cache", status, xcache)
	require.NoError(t, cache.CheckRoutes(r.Routes()))
}
