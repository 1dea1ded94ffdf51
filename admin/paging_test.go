package admin_test

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/admin"
)

// TestPagingWhileKeysAreAdded walks GET /keys in small pages while keys
// are added, before and after the walk's position, between pages and
// from another goroutine at the same time: every key present for the
// whole walk comes back at least once, and no page holds a key twice.
func TestPagingWhileKeysAreAdded(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		a := newApp(t, bc.open(t), appConfig{})
		svc := a.cache.Service()
		ctx := context.Background()
		set := func(key string) {
			assert.NoError(t, svc.Set(ctx, key, []byte(key), time.Hour))
		}
		const seeded = 300
		for i := range seeded {
			set(fmt.Sprintf("seed/%04d", i))
		}

		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			// Bounded, so that the walk's cost does not grow without end.
			for i := range 2000 {
				select {
				case <-stop:
					return
				default:
					set(fmt.Sprintf("concurrent/%06d", i))
				}
			}
		})

		seen := map[string]int{}
		cursor, pages := "0", 0
		for {
			r := a.do("GET", base+"/keys?count=7&pattern=seed/*&cursor="+url.QueryEscape(cursor))
			require.Equal(t, 200, r.status, "page %d: %d %s", pages, r.status, r.body)
			var page admin.KeyPage
			r.json(t, &page)
			inPage := map[string]bool{}
			for _, k := range page.Keys {
				require.False(t, inPage[k.Key], "page %d holds %q twice", pages, k.Key)
				inPage[k.Key] = true
				seen[k.Key]++
			}
			pages++
			// Keys that sort before and after any position of the walk.
			set(fmt.Sprintf("seed/0000-added-%d", pages))
			set(fmt.Sprintf("seed/%04d-added", (pages*37)%seeded))
			set(fmt.Sprintf("seed/zzzz-added-%d", pages))
			if page.Cursor == "0" {
				break
			}
			cursor = page.Cursor
		}
		close(stop)
		wg.Wait()

		// count is a hint: the memory backend keeps to it, Redis SCAN may
		// return up to a few times more (backendtest's bound: 4*count+16).
		minPages := seeded / 7
		if bc.name == "redis" {
			minPages = seeded / (4*7 + 16)
		}
		require.GreaterOrEqual(t, pages, minPages, "%d pages for %d keys at 7 a page", pages, seeded)
		for i := range seeded {
			k := fmt.Sprintf("seed/%04d", i)
			assert.NotZero(t, seen[k], "%s, present for the whole walk, was never listed", k)
		}
		for k := range seen {
			assert.GreaterOrEqual(t, len(k), 5, "the pattern seed/* listed %q", k)
			assert.Equal(t, "seed/", k[:5], "the pattern seed/* listed %q", k)
		}
	})
}
