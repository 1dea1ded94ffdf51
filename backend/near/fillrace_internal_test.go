package near

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	redisbackend "github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// racySource runs during after each Lookup of the source, before the near
// cache sees its result: a renewal that lands there is one the near cache
// must not miss.
type racySource struct {
	*redisbackend.Redis
	during func()
}

func (r *racySource) Lookup(ctx context.Context, key string, tok backend.Tokens) (*backend.Entry, error) {
	e, err := r.Redis.Lookup(ctx, key, tok)
	if r.during != nil {
		r.during()
	}
	return e, err
}

// A fill that raced a renewal is not kept: the lookup read the entry
// under the old tokens, another instance renewed one and its
// invalidation arrived before the insert. The near cache must not serve
// that entry, though its lease holds.
func TestNearFillRacingARenewal(t *testing.T) {
	srv := testutil.StartRealRedis(t)
	quiet := slog.New(slog.DiscardHandler)
	r, err := redisbackend.New(srv.URL(), redisbackend.Options{KeyPrefix: "app", Logger: quiet})
	require.NoError(t, err)
	defer r.Close()
	src := &racySource{Redis: r}
	n, err := New(src, Options{Delta: time.Second, Logger: quiet})
	require.NoError(t, err)
	defer n.Close()
	testutil.WaitFor(t, "the lease", n.leased)

	ctx := context.Background()
	names := []string{"{/}:epoch", "{/a}:S:/a"}
	tok := backend.Tokens{Names: names, Values: make([]backend.Token, len(names))}
	_, err = n.Lookup(ctx, "k", tok)
	require.ErrorIs(t, err, backend.ErrNotFound)
	now := time.Now()
	require.NoError(t, n.Store(ctx, "k", &backend.Entry{Status: 200, Body: []byte("old"), StoredAt: now, Expires: now.Add(time.Hour)}, time.Hour, tok))

	// The other instance renews /a while this one's lookup is under way.
	other, err := New(r, Options{Delta: time.Millisecond, Logger: quiet})
	require.NoError(t, err)
	defer other.Close()
	cell := n.cells.get(n.cells.hash(n.markNS, names[1]), 0)
	gen := cell.gen.Load()
	src.during = func() {
		src.during = nil
		require.NoError(t, other.Renew(ctx, names[1:], time.Hour))
		testutil.WaitFor(t, "the renewal's invalidation", func() bool { return cell.gen.Load() != gen })
	}
	e, err := n.Lookup(ctx, "k", backend.Tokens{Names: names, Values: make([]backend.Token, len(names))})
	require.NoError(t, err, "the lookup read the entry before the renewal")
	assert.Equal(t, "old", string(e.Body))

	require.True(t, n.leased())
	assert.False(t, n.Peek("k", len(names), time.Now(), new(backend.Entry)), "the near cache kept a fill that raced a renewal")
	_, err = n.Lookup(ctx, "k", backend.Tokens{Names: names, Values: make([]backend.Token, len(names))})
	assert.True(t, errors.Is(err, backend.ErrNotFound), "after the renewal: %v", err)
}
