package backendtest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
)

var concurrencyCases = []testCase{
	{name: "ConcurrentUse", run: testConcurrentUse},
}

// Many goroutines fill, read, renew, delete, clear and scan at once (run
// under -race). Besides staying sound, the backend must keep the property
// the cache is built on, checked as it runs: once a renewal has returned,
// no fill whose Lookup finished before that renewal began is ever served.
func testConcurrentUse(t *testing.T, s *suite) {
	b := s.open(t)
	ctx := context.Background()
	const (
		workers = 8
		iters   = 500
		keysPer = 4
		shared  = "bt:t:{c}:shared"
	)
	// Renewals of the shared token: how many began, and how many had
	// returned. One writer, so both only grow.
	var begun, returned atomic.Uint64
	var hits atomic.Int64
	tick := make(chan struct{}, 1)
	// A fill sends on force to have a renewal run between its Lookup and
	// its Store for sure, and waits for it to return.
	force := make(chan chan struct{})
	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Go(func() { // the writer
		failed := false
		for {
			var forced chan struct{}
			select {
			case <-stop:
				return
			case <-tick:
			case forced = <-force:
			}
			n := begun.Add(1)
			if err := b.Renew(ctx, []string{shared}, defaultTTL); err != nil && !failed {
				// Keep answering forced renewals, or their fills would wait
				// for ever.
				failed = true
				t.Errorf("Renew: %v", err)
			}
			returned.Store(n)
			if forced != nil {
				close(forced)
			}
		}
	})
	bg.Go(func() { // a reader of whole iterations
		for {
			select {
			case <-stop:
				return
			default:
			}
			for cursor, page := "", 0; page == 0 || cursor != ""; page++ {
				keys, next, err := b.Scan(ctx, "bt:c:*", cursor, 16)
				if err != nil {
					t.Errorf("Scan: %v", err)
					return
				}
				for _, k := range keys {
					if !strings.HasPrefix(k.Key, "bt:c:") {
						t.Errorf("Scan(bt:c:*) listed %q", k.Key)
						return
					}
				}
				cursor = next
			}
		}
	})

	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			own := fmt.Sprintf("bt:t:{c}:own%d", w)
			names := []string{shared, own}
			// Keys whose own token this goroutine renewed since it last
			// stored them: they must miss.
			renewed := map[string]bool{}
			for i := range iters {
				key := fmt.Sprintf("bt:c:%d:%d", w, i%keysPer)
				r := returned.Load()
				values := make([]backend.Token, len(names))
				e, err := b.Lookup(ctx, key, backend.Tokens{Names: names, Values: values})
				switch {
				case err == nil:
					hits.Add(1)
					f, ok := parseFill(key, e.Body)
					if !ok {
						t.Errorf("Lookup(%q) served body %q", key, e.Body)
						return
					}
					assert.GreaterOrEqual(t, f, r, "Lookup(%q) served a fill made before renewal %d began, after renewal %d returned", key, f+1, r)
					if renewed[key] {
						t.Errorf("Lookup(%q) served an entry whose token %s was renewed after it was stored", key, own)
					}
				case errors.Is(err, backend.ErrNotFound):
					f := begun.Load()
					// The handler runs here: give a write the chance to
					// come between the fill's Lookup and its Store, and
					// now and then make sure one does.
					runtime.Gosched()
					raced := i%17 == 0
					if raced {
						done := make(chan struct{})
						force <- done
						<-done
					}
					e := newEntry(key)
					e.Body = fmt.Appendf(nil, "%s|%d", key, f)
					stored := b.Store(ctx, key, e, defaultTTL, backend.Tokens{Names: names, Values: values})
					switch {
					case stored == nil:
						delete(renewed, key)
					case !errors.Is(stored, backend.ErrConflict):
						t.Errorf("Store(%q) = %v", key, stored)
						return
					}
					if raced {
						_, err := b.Lookup(ctx, key, backend.Tokens{Names: names, Values: make([]backend.Token, len(names))})
						assert.Error(t, err, "Lookup(%q) served a fill that a renewal overlapped (its Store returned %v)", key, stored)
					}
				default:
					t.Errorf("Lookup(%q) = %v", key, err)
					return
				}
				var err2 error
				switch {
				case i%50 == 3:
					err2 = b.Renew(ctx, []string{own}, defaultTTL)
					for k := range keysPer {
						renewed[fmt.Sprintf("bt:c:%d:%d", w, k)] = true
					}
				case i%10 == 5:
					_, err2 = b.Delete(ctx, key)
				case i%10 == 7:
					_, _, err2 = b.Scan(ctx, fmt.Sprintf("bt:c:%d:*", w), "", 3)
				case i%50 == 29:
					_, err2 = b.ClearPattern(ctx, fmt.Sprintf("bt:c:%d:*", w))
				}
				if err2 != nil {
					t.Errorf("iteration %d: %v", i, err2)
					return
				}
				if i%50 == 0 {
					select {
					case tick <- struct{}{}:
					default:
					}
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	bg.Wait()
	assert.NotEqual(t, int64(0), hits.Load(), "no Lookup hit in %d tries: the check above checked nothing", workers*iters)
	t.Logf("%d hits, %d renewals of the shared token", hits.Load(), returned.Load())
}

// parseFill reads back the body a concurrent fill stored: the key, then
// the number of renewals that had begun once its Lookup returned.
func parseFill(key string, body []byte) (uint64, bool) {
	rest, ok := strings.CutPrefix(string(body), key+"|")
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseUint(rest, 10, 64)
	return f, err == nil
}
