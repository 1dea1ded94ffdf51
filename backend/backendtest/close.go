package backendtest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
)

var closeCases = []testCase{
	{name: "Ping", run: testPing},
	{name: "MethodsAfterClose", run: testMethodsAfterClose},
}

func testPing(t *testing.T, s *suite) {
	b := s.open(t)
	require.NoError(t, b.Ping(context.Background()), "Ping of a fresh backend =")
}

// Once closed, a backend serves nothing and says why: every method
// returns an error wrapping backend.ErrClosed. Closing twice is harmless.
func testMethodsAfterClose(t *testing.T, s *suite) {
	b := s.open(t)
	ctx := context.Background()
	fill(t, b, "bt:k:1", defaultTTL, tokItem)
	require.NoError(t, b.Close(), "Close =")
	check := func(method string, err error) {
		t.Helper()
		assert.ErrorIs(t, err, backend.ErrClosed, "%s after Close", method)
	}
	values := make([]backend.Token, 1)
	e, err := b.Lookup(ctx, "bt:k:1", backend.Tokens{Names: []string{tokItem}, Values: values})
	assert.Nil(t, e, "Lookup after Close served an entry")
	check("Lookup", err)
	_, err = store(b, "bt:k:2", newEntry("bt:k:2"), defaultTTL, []string{tokItem}, nil)
	check("Store", err)
	check("Renew", b.Renew(ctx, []string{tokItem}, defaultTTL))
	_, err = b.Delete(ctx, "bt:k:1")
	check("Delete", err)
	_, _, err = b.Scan(ctx, "", "", 10)
	check("Scan", err)
	_, err = b.ClearPattern(ctx, "*")
	check("ClearPattern", err)
	check("Ping", b.Ping(ctx))
	_ = b.Close() // must not panic; its result is the backend's to define
}
