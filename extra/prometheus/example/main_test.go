package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scrape fetches /metrics over HTTP and parses the text format.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(url + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, 200, res.StatusCode, "/metrics")
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(res.Body)
	require.NoError(t, err)
	return mfs
}

// value returns the counter or histogram sample count of the series of
// family name whose labels include want (0 when absent).
func value(mfs map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	mf := mfs[name]
	if mf == nil {
		return 0
	}
	for _, m := range mf.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			if got[k] != v {
				match = false
			}
		}
		if !match {
			continue
		}
		if h := m.GetHistogram(); h != nil {
			return float64(h.GetSampleCount())
		}
		return m.GetCounter().GetValue()
	}
	return 0
}

func get(t *testing.T, url, path string, header ...string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	return res.Header.Get("X-Cache")
}

// TestMetricsMoveWithRequests scrapes /metrics over HTTP before and after
// traffic and checks each series moved by what the requests did.
func TestMetricsMoveWithRequests(t *testing.T) {
	r, cache, err := newEngine()
	require.NoError(t, err)
	defer cache.Close()
	srv := httptest.NewServer(r)
	defer srv.Close()

	before := scrape(t, srv.URL)
	_, ok := before["go_goroutines"]
	require.True(t, ok, "the Go collector is not registered")
	item := map[string]string{"method": "GET", "route": "/spaces/:space_id"}
	v := value(before, "gincache_hits_total", item)
	require.Equal(t, float64(0), v, "hits before any request")

	for _, want := range []string{"MISS", "HIT", "HIT"} {
		got := get(t, srv.URL, "/spaces/4")
		require.Equal(t, want, got, "GET /spaces/4")
	}
	get(t, srv.URL, "/spaces/4", "Cache-Control", "no-cache")
	req, _ := http.NewRequest("PATCH", srv.URL+"/spaces/4", strings.NewReader(`{"name":"shed"}`))
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, "MISS", get(t, srv.URL, "/spaces/4"), "the PATCH did not invalidate /spaces/4")

	after := scrape(t, srv.URL)
	patch := map[string]string{"method": "PATCH", "route": "/spaces/:space_id"}
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"gincache_hits_total", item, 2},
		{"gincache_misses_total", item, 2},
		{"gincache_stores_total", item, 2},
		{"gincache_skips_total", map[string]string{"method": "GET", "route": "/spaces/:space_id", "reason": "no-cache"}, 1},
		{"gincache_invalidations_total", patch, 1},
		{"gincache_backend_errors_total", item, 0},
		{"gincache_backend_call_duration_seconds", map[string]string{"op": "lookup", "method": "GET", "route": "/spaces/:space_id"}, 4},
		{"gincache_backend_call_duration_seconds", map[string]string{"op": "store", "method": "GET", "route": "/spaces/:space_id"}, 2},
		{"gincache_backend_call_duration_seconds", map[string]string{"op": "invalidate", "method": "PATCH", "route": "/spaces/:space_id"}, 1},
	}
	for _, c := range checks {
		got := value(after, c.name, c.labels) - value(before, c.name, c.labels)
		assert.Equal(t, c.want, got, "%s%v moved by", c.name, c.labels)
	}
	// Series are labelled by route pattern, never by the raw URL.
	for name, mf := range after {
		if !strings.HasPrefix(name, "gincache_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "route" {
					assert.NotContains(t, l.GetValue(), "/4", "%s has a raw URL label", name)
				}
			}
		}
	}
}
