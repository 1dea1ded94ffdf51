package backendtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
)

var scanCases = []testCase{
	{name: "ScanEmpty", run: testScanEmpty},
	{name: "ScanComplete", run: testScanComplete},
	{name: "ScanWhileKeysComeAndGo", run: testScanWhileKeysComeAndGo},
	{name: "ScanDuringConcurrentWrites", run: testScanDuringConcurrentWrites},
	{name: "ScanPatterns", run: testScanPatterns},
}

// maxPages stops an iteration whose cursor never comes back to "".
const maxPages = 100_000

// maxPage is the most keys a page may hold for a given count: count is a
// hint (Redis's COUNT is), but a backend that ignores it is caught.
func maxPage(count int) int { return 4*count + 16 }

// scanAll runs a full Scan iteration and returns each key it listed once,
// sorted, checking the page rules on the way.
func scanAll(t *testing.T, s *suite, b backend.Backend, pattern string, count int) []backend.KeyInfo {
	t.Helper()
	keys, _ := scanPages(t, s, b, pattern, count, nil)
	return keys
}

// scanPages runs a full Scan iteration, calling between (when not nil)
// after each page but the last. It returns each key listed, once, sorted,
// with the TTL first reported, and the number of pages. It fails t on a
// page over maxPage, a key twice in one page, a key on two pages of a
// backend that does not allow it, or an iteration that does not end.
func scanPages(t *testing.T, s *suite, b backend.Backend, pattern string, count int, between func(page int)) ([]backend.KeyInfo, int) {
	t.Helper()
	seen := map[string]backend.KeyInfo{}
	cursor := ""
	for page := 0; ; page++ {
		require.NotEqual(t, maxPages, page, "Scan(%q) did not end after %d pages", pattern, maxPages)
		keys, next, err := b.Scan(context.Background(), pattern, cursor, count)
		require.NoError(t, err, "Scan(%q, cursor %q, %d)", pattern, cursor, count)
		require.LessOrEqual(t, len(keys), maxPage(count), "Scan(%q, %d) returned a page of %d keys; count is a hint, but at most %d are allowed", pattern, count, len(keys), maxPage(count))
		inPage := map[string]bool{}
		for _, k := range keys {
			if inPage[k.Key] {
				t.Fatalf("Scan(%q) listed %q twice in one page", pattern, k.Key)
			}
			inPage[k.Key] = true
			if _, dup := seen[k.Key]; dup {
				require.True(t, s.h.DuplicatesAcrossPages, "Scan(%q) listed %q on two pages; Harness.DuplicatesAcrossPages is false", pattern, k.Key)
				continue
			}
			seen[k.Key] = k
		}
		if next == "" {
			out := make([]backend.KeyInfo, 0, len(seen))
			for _, k := range seen {
				out = append(out, k)
			}
			slices.SortFunc(out, func(a, b backend.KeyInfo) int { return strings.Compare(a.Key, b.Key) })
			return out, page + 1
		}
		if between != nil {
			between(page)
		}
		cursor = next
	}
}

func keyNames(keys []backend.KeyInfo) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.Key
	}
	return out
}

// storeKeys stores an entry under each key, with one token.
func storeKeys(t *testing.T, b backend.Backend, keys ...string) {
	t.Helper()
	for _, k := range keys {
		_, err := store(b, k, newEntry(k), defaultTTL, nil, nil)
		require.NoError(t, err, "Store(%q)", k)
	}
}

func numbered(format string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(format, i)
	}
	return out
}

func testScanEmpty(t *testing.T, s *suite) {
	b := s.open(t)
	// Tokens are not entries: a backend holding only tokens lists nothing.
	require.NoError(t, b.Renew(context.Background(), itemTokens, defaultTTL), "Renew")
	keys, _, err := b.Scan(context.Background(), "", "", 10)
	require.NoError(t, err, "Scan of an empty backend")
	require.Empty(t, keys, "Scan of an empty backend")
	// The first page may still end with a cursor: a backend sharing its
	// store (a Redis holding other namespaces' keys, as a cluster shared by
	// parallel tests does) stops a page after a bounded number of server
	// calls, even an empty one. The whole iteration must list nothing, and
	// end.
	keys = scanAll(t, s, b, "", 10)
	require.Empty(t, keys, "Scan of an empty backend lists %v", keyNames(keys))
	keys = scanAll(t, s, b, "*", 10)
	require.Empty(t, keys, "Scan(*) of a backend holding only tokens lists %v", keyNames(keys))
}

// A full iteration lists every key, with its TTL, in pages of about count
// keys, whatever count; the empty pattern and "*" both match everything.
func testScanComplete(t *testing.T, s *suite) {
	b := s.open(t)
	want := numbered("bt:s:%03d", 200)
	storeKeys(t, b, want...)
	for _, pattern := range []string{"", "*", "bt:s:*"} {
		for _, count := range []int{1, 10, 1000} {
			keys, pages := scanPages(t, s, b, pattern, count, nil)
			got := keyNames(keys)
			require.Equal(t, want, got, "Scan(%q, count %d) listed %d keys", pattern, count, len(got))
			minPages := len(want) / maxPage(count)
			require.GreaterOrEqual(t, pages, minPages, "Scan(%q, count %d) took %d pages for %d keys; want at least %d", pattern, count, pages, len(want), minPages)
			for _, k := range keys {
				require.Greater(t, k.TTL, defaultTTL-ttlSlack, "Scan reports TTL %v for %q stored for %v", k.TTL, k.Key, defaultTTL)
				require.LessOrEqual(t, k.TTL, defaultTTL, "Scan reports TTL %v for %q stored for %v", k.TTL, k.Key, defaultTTL)
			}
		}
	}
}

func missing(want, got []string) []string {
	var out []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			out = append(out, w)
		}
	}
	return out
}

// Keys stored, overwritten and deleted between pages, before and after
// wherever the cursor stands, never hide a key present throughout.
func testScanWhileKeysComeAndGo(t *testing.T, s *suite) {
	for _, count := range []int{1, 7, 50} {
		t.Run(fmt.Sprint("count", count), func(t *testing.T) {
			b := s.open(t)
			ctx := context.Background()
			stable := numbered("bt:s:m:%03d", 120)
			storeKeys(t, b, stable...)
			var churn []string
			var live []string
			keys, _ := scanPages(t, s, b, "bt:s:*", count, func(page int) {
				// New keys sorting before, among and after the stable ones.
				add := []string{
					fmt.Sprintf("bt:s:a:%03d", page),
					fmt.Sprintf("bt:s:m:%03d-new", page%120),
					fmt.Sprintf("bt:s:z:%03d", page),
				}
				storeKeys(t, b, add...)
				churn = append(churn, add...)
				live = append(live, add...)
				// Delete the oldest added keys still there.
				for len(live) > 4 {
					_, err := b.Delete(ctx, live[0])
					require.NoError(t, err, "Delete")
					live = live[1:]
				}
				// Overwrite a stable key: it stays present throughout.
				storeKeys(t, b, stable[(page*37)%len(stable)])
			})
			got := keyNames(keys)
			m := missing(stable, got)
			require.Empty(t, m, "Scan with count %d missed %d keys present throughout: %v", count, len(m), m)
			for _, k := range got {
				if !slices.Contains(stable, k) && !slices.Contains(churn, k) {
					t.Fatalf("Scan listed %q, which was never stored", k)
				}
			}
		})
	}
}

// The same, with the other keys changed by goroutines while the iteration
// runs (run the suite with -race).
func testScanDuringConcurrentWrites(t *testing.T, s *suite) {
	b := s.open(t)
	ctx := context.Background()
	stable := numbered("bt:s:m:%03d", 150)
	storeKeys(t, b, stable...)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := fmt.Sprintf("bt:s:%c:%d:%d", "amz"[w], w, i%20)
				if i%2 == 0 {
					if _, err := store(b, k, newEntry(k), defaultTTL, nil, nil); err != nil {
						t.Errorf("Store(%q) = %v", k, err)
						return
					}
				} else if _, err := b.Delete(ctx, k); err != nil {
					t.Errorf("Delete(%q) = %v", k, err)
					return
				}
			}
		})
	}
	var got []string
	for range 5 {
		got = keyNames(scanAll(t, s, b, "bt:s:*", 5))
		if m := missing(stable, got); len(m) > 0 {
			break
		}
	}
	close(stop)
	wg.Wait()
	m := missing(stable, got)
	require.Empty(t, m, "Scan during concurrent writes missed %d keys present throughout: %v", len(m), m)
	for _, k := range got {
		require.True(t, strings.HasPrefix(k, "bt:s:"), "Scan(bt:s:*) listed %q", k)
	}
}

// Patterns select exactly the keys Redis would select, whatever the page
// size.
func testScanPatterns(t *testing.T, s *suite) {
	b := s.open(t)
	storeKeys(t, b, patternKeys...)
	storeKeys(t, b, "other:a*b", "other:ab")
	for _, tc := range patternTable {
		for _, count := range []int{1, 100} {
			got := keyNames(scanAll(t, s, b, tc.pattern, count))
			want := slices.Sorted(slices.Values(tc.want))
			if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Errorf("Scan(%q, count %d) = %q; want %q", tc.pattern, count, got, want)
			}
		}
	}
	// EscapeGlob turns any key into a pattern selecting exactly that key.
	for _, k := range patternKeys {
		p := backend.EscapeGlob(k)
		got := keyNames(scanAll(t, s, b, p, 10))
		assert.Len(t, got, 1, "Scan(EscapeGlob(%q) = %q) = %q; want just the key", k, p, got)
		assert.Equal(t, k, got[0], "Scan(EscapeGlob(%q) = %q) = %q; want just the key", k, p, got)
	}
}
