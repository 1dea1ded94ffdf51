package backendtest

import (
	"context"
	"errors"
	"testing"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
)

var closeCases = []testCase{
	{name: "Ping", run: testPing},
	{name: "MethodsAfterClose", run: testMethodsAfterClose},
}

func testPing(t *testing.T, s *suite) {
	b := s.open(t)
	if err := b.Ping(context.Background()); err != nil {
		t.Fatalf("Ping of a fresh backend = %v", err)
	}
}

// Once closed, a backend serves nothing and says why: every method
// returns an error wrapping backend.ErrClosed. Closing twice is harmless.
func testMethodsAfterClose(t *testing.T, s *suite) {
	b := s.open(t)
	ctx := context.Background()
	fill(t, b, "bt:k:1", defaultTTL, tokItem)
	if err := b.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	check := func(method string, err error) {
		t.Helper()
		if !errors.Is(err, backend.ErrClosed) {
			t.Errorf("%s after Close = %v; want an error wrapping backend.ErrClosed", method, err)
		}
	}
	values := make([]backend.Token, 1)
	e, err := b.Lookup(ctx, "bt:k:1", backend.Tokens{Names: []string{tokItem}, Values: values})
	if e != nil {
		t.Errorf("Lookup after Close served an entry")
	}
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
