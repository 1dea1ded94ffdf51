package admin_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/gincache"
)

// browserNames are the executables a headless Chromium may go by.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "headless-shell"}

// findBrowser returns the path of a Chromium, or skips the test when
// there is none, unless GINCACHE_REQUIRE_BROWSER is set (CI sets it), in
// which case a missing browser fails the test.
func findBrowser(t *testing.T) string {
	t.Helper()
	for _, name := range browserNames {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	require.Empty(t, os.Getenv("GINCACHE_REQUIRE_BROWSER"), "GINCACHE_REQUIRE_BROWSER is set and no browser was found (%v): apt-get install chromium", browserNames)
	t.Skipf("no headless browser (%v); set GINCACHE_REQUIRE_BROWSER to make this a failure", browserNames)
	return ""
}

// browser is one headless Chromium tab for a test, with what the page
// wrote to its console and the dialogs it opened.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu      sync.Mutex
	errors  []string // console errors, exceptions, error log entries
	dialogs []string
	// accept says whether the next confirm dialogs are accepted.
	accept atomic.Bool
}

// startBrowser launches Chromium with the network features that call
// home turned off (the machine may have no route out) and a throwaway
// profile; cleanup stops it.
func startBrowser(t *testing.T) *browser {
	path := findBrowser(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1100),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	b := &browser{t: t, ctx: ctx}
	b.accept.Store(true)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		wg.Wait()
	})

	// Console starts the browser; its messages and the dialogs are read
	// from the start.
	messages := chromedp.Console(ctx)
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	wg.Go(func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.mu.Lock()
				b.errors = append(b.errors, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line))
				b.mu.Unlock()
			}
		}
	})
	wg.Go(func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, string(ev.Type)+": "+ev.Message)
			b.mu.Unlock()
			if _, err := chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: b.accept.Load()}); err != nil {
				return
			}
		}
	})
	return b
}

// do runs actions, failing the test on error.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	err := chromedp.Do(b.ctx, actions...)
	require.NoError(b.t, err, "%s: %v; console errors: %v", what, err, b.consoleErrors())
}

// waitFor polls a JavaScript predicate until it is true.
func (b *browser) waitFor(what, predicate string) {
	b.t.Helper()
	_, err := chromedp.Run(b.ctx, chromedp.Poll[chromedp.Void](predicate, chromedp.WithPollingTimeout(20*time.Second)))
	require.NoError(b.t, err, "waiting for %s: %v; console errors: %v", what, err, b.consoleErrors())
}

func (b *browser) consoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.errors)
}

func (b *browser) dialogMessages() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.dialogs)
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	require.NoError(b.t, err, "evaluating %s", expr)
	return v
}

// shownKeys are the keys the key browser lists.
func shownKeys(b *browser) []string {
	b.t.Helper()
	return eval[[]string](b, `[...document.querySelectorAll("#keys button[data-key]")].map(e => e.dataset.key)`)
}

// deleteButton selects the Delete button of a key.
func deleteButton(key string) chromedp.CSS {
	q := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(key)
	return chromedp.CSS(`#keys button[data-key="` + q + `"]`)
}

// checkShownStats compares the stats cards with GET /stats.
func checkShownStats(t *testing.T, a *testApp, b *browser) gincache.Stats {
	t.Helper()
	var st gincache.Stats
	a.do("GET", base+"/stats").json(t, &st)
	want := map[string]string{
		"hits": u(st.Hits), "misses": u(st.Misses), "stale": u(st.Stale), "stores": u(st.Stores),
		"invalidations": u(st.Invalidations), "backend_errors": u(st.BackendErrors),
		"hit_rate": fmt.Sprintf("%.1f%%", st.HitRate*100),
	}
	shown := eval[map[string]string](b, `Object.fromEntries([...document.querySelectorAll("[id^='stat-']")].map(e => [e.id.slice(5), e.textContent]))`)
	require.Equal(t, want, shown, "the page shows %v, GET /stats says", shown)
	return st
}

func u(n uint64) string { return strconv.FormatUint(n, 10) }

// TestDashboardInBrowser drives the page in a real headless Chromium:
// it loads with no console error, shows what GET /stats says and keeps
// it current, draws the chart, pages through keys, finds a key, deletes
// one and clears a pattern after confirmation (and does nothing when the
// confirmation is dismissed). It saves a screenshot in the test's temp
// dir (and in $GINCACHE_ARTIFACTS_DIR when set).
func TestDashboardInBrowser(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		b := startBrowser(t)
		be := bc.open(t)
		a := newApp(t, be, appConfig{})
		ctx := context.Background()

		// Traffic before the page loads: 5 misses, 2 hits, 1 skip.
		a.fill("/items", "/items/1", "/items/2", "/spaces/1", "/spaces/2")
		a.do("GET", "/items")
		a.do("GET", "/items/1")
		a.do("GET", "/items", "Cache-Control", "no-cache")
		manual := map[string]bool{}
		for i := range 30 {
			k := fmt.Sprintf("manual/%02d", i)
			manual[k] = true
			require.NoError(t, a.cache.Service().Set(ctx, k, []byte("v"), time.Hour))
		}
		keyOf := func(part string) string {
			for k := range ourKeys(t, be) {
				if strings.Contains(k, part+":") {
					return k
				}
			}
			t.Fatalf("no key for %s", part)
			return ""
		}
		space1, space2 := keyOf("/spaces/1"), keyOf("/spaces/2")

		b.do("load the page", chromedp.Navigate(a.srv.URL+base+"/?refresh=300"))
		b.waitFor("the first stats", `document.getElementById("stat-hits").textContent !== "–" && document.querySelectorAll("#keys button[data-key]").length > 0`)
		st := checkShownStats(t, a, b)
		require.Equal(t, uint64(2), st.Hits, "the traffic made %d hits and %d misses", st.Hits, st.Misses)
		require.Equal(t, uint64(5), st.Misses, "the traffic made %d hits and %d misses", st.Hits, st.Misses)
		got := eval[[]string](b, `[...document.querySelectorAll("#skips td")].map(e => e.textContent)`)
		assert.Equal(t, []string{"no-cache", "1"}, got, "skips table")
		assert.Equal(t, len(st.Routes), eval[int](b, `document.querySelectorAll("#routes tbody tr").length`), "routes table rows against /stats routes")
		badge := eval[string](b, `document.getElementById("health").textContent`)
		assert.True(t, strings.HasPrefix(badge, bc.name+" · "), "health badge %q", badge)

		// More traffic: the page catches up and charts the interval.
		for range 4 {
			a.do("GET", "/items/2")
		}
		b.waitFor("the refreshed stats and a chart point",
			`document.getElementById("stat-hits").textContent === "6" && Number(document.getElementById("chart").dataset.points) >= 1`)
		checkShownStats(t, a, b)

		// Paging: 30 manual keys at 25 a page.
		clearStatus(b)
		b.do("search manual/*",
			chromedp.SetValue(chromedp.ID("count"), "25"),
			chromedp.SetValue(chromedp.ID("pattern"), "manual/*"),
			chromedp.Click(chromedp.ID("search-btn")))
		// count is a hint (Redis SCAN's COUNT): walk the pages the page
		// offers until the end of the listing.
		paged := walkPages(b)
		pagedSet := map[string]bool{}
		for _, k := range paged {
			pagedSet[k] = true
		}
		require.Len(t, paged, len(manual), "paging showed %v, want the 30 manual keys", paged)
		require.Equal(t, manual, pagedSet, "paging showed %v, want the 30 manual keys", paged)

		// Search finds the space entries and nothing else.
		clearStatus(b)
		b.do("search */spaces/*",
			chromedp.SetValue(chromedp.ID("pattern"), "*/spaces/*"),
			chromedp.Click(chromedp.ID("search-btn")))
		got = walkPages(b)
		require.Equal(t, slices.Sorted(slices.Values([]string{space1, space2})), slices.Sorted(slices.Values(got)), "search */spaces/* shows %v", got)

		// A dismissed confirmation deletes nothing.
		b.accept.Store(false)
		b.do("dismissed delete", chromedp.Click(deleteButton(space2)))
		require.True(t, present(t, be, gincache.DefaultKeyPrefix+":"+space2), "a dismissed delete removed the key")
		// An accepted one deletes the key from the backend, and only it.
		b.accept.Store(true)
		b.do("delete", chromedp.Click(deleteButton(space1)))
		b.waitFor("the delete notice", `document.getElementById("notice").textContent.startsWith("Deleted ")`)
		require.False(t, present(t, be, gincache.DefaultKeyPrefix+":"+space1), "%s is still in the backend after the page deleted it", space1)
		require.True(t, present(t, be, gincache.DefaultKeyPrefix+":"+space2), "deleting %s removed %s too", space1, space2)
		got = shownKeys(b)
		assert.Equal(t, []string{space2}, got, "after the delete the page lists")

		// Clear a pattern: the item entries go, the rest stays.
		b.do("clear */items*",
			chromedp.SetValue(chromedp.ID("pattern"), "*/items*"),
			chromedp.Click(chromedp.ID("clear-btn")))
		b.waitFor("the clear notice", `document.getElementById("notice").textContent === "Cleared 3 entries matching */items*"`)
		left := ourKeys(t, be)
		for k := range left {
			assert.NotContains(t, k, "/items", "%s survived the clear of */items*", k)
		}
		require.Len(t, left, 31, "after the clear the backend holds %d keys, want the 30 manual ones and %s", len(left), space2)
		assert.True(t, left[space2], "after the clear the backend holds %d keys, want the 30 manual ones and %s", len(left), space2)
		got = shownKeys(b)
		assert.Empty(t, got, "after the clear the page lists")

		dialogs := b.dialogMessages()
		require.Len(t, dialogs, 3, "confirmation dialogs: %q", dialogs)
		assert.Contains(t, dialogs[0], space2, "confirmation dialogs: %q", dialogs)
		assert.Contains(t, dialogs[1], space1, "confirmation dialogs: %q", dialogs)
		assert.Contains(t, dialogs[2], "*/items*", "confirmation dialogs: %q", dialogs)
		assert.True(t, strings.HasPrefix(dialogs[2], "confirm: "), "confirmation dialogs: %q", dialogs)

		// The screenshot: every key, the stats and the chart.
		b.do("list every key",
			chromedp.SetValue(chromedp.ID("count"), "100"),
			chromedp.SetValue(chromedp.ID("pattern"), "*"),
			chromedp.Click(chromedp.ID("search-btn")))
		b.waitFor("every key", `document.getElementById("keys-status").textContent.startsWith("page 1: 31 key(s)")`)
		png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		shot := filepath.Join(t.TempDir(), "dashboard.png")
		require.NoError(t, os.WriteFile(shot, png, 0o644))
		t.Logf("screenshot: %s (%d bytes)", shot, len(png))
		if dir := os.Getenv("GINCACHE_ARTIFACTS_DIR"); dir != "" {
			kept := filepath.Join(dir, "dashboard-"+bc.name+".png")
			require.NoError(t, os.WriteFile(kept, png, 0o644))
			t.Logf("screenshot kept: %s", kept)
		}

		errs := b.consoleErrors()
		require.Empty(t, errs, "console errors:\n%s", strings.Join(errs, "\n"))
	})
}

// walkPages reads every page of the key browser's current search, from
// page 1 to the end of the listing, clicking "Next page" in between.
func walkPages(b *browser) []string {
	var keys []string
	for page := 1; ; page++ {
		b.waitFor(fmt.Sprintf("page %d", page), fmt.Sprintf(`document.getElementById("keys-status").textContent.startsWith("page %d:")`, page))
		keys = append(keys, shownKeys(b)...)
		if eval[bool](b, `document.getElementById("next-page").hidden`) {
			return keys
		}
		b.do("next page", chromedp.Click(chromedp.ID("next-page")))
	}
}

// clearStatus blanks the key browser's status line, so that waiting for
// "page 1:" waits for the next search rather than seeing the last one.
func clearStatus(b *browser) {
	eval[string](b, `document.getElementById("keys-status").textContent = ""`)
}
