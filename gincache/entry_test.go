package gincache

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
)

// newEntry builds sorted fields with len == cap values, without the
// unstored ones, the body's strong ETag (apart from the fields) and,
// above 2 KiB, its Content-Length, whatever Gin's c.Data set.
func TestNewEntryHeader(t *testing.T) {
	rs := &routeState{ttl: time.Minute}
	now := time.Unix(1000, 0)
	for _, tc := range []struct {
		name   string
		header http.Header
		size   int
	}{
		{"small", http.Header{"Content-Type": {"application/json"}}, 100},
		{"small with length", http.Header{"Content-Type": {"application/json"}}, 5000},
		{"gin's c.Data", http.Header{"Content-Type": {"application/json"}, "Content-Length": {"5000"}}, 5000},
		{"large", http.Header{"Content-Type": {"text/plain"}, "X-A": {"1", "2"}, "X-B": {"3"}, "Date": {"x"}}, 5000},
		{"handler etag", http.Header{"Content-Type": {"text/plain"}, "Etag": {`"mine"`}}, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := bytes.Repeat([]byte("y"), tc.size)
			e := rs.newEntry(200, tc.header, body, now, nil)
			want := strongETag(body)
			if v := tc.header["Etag"]; len(v) > 0 {
				want = v[0]
			}
			require.Equal(t, want, e.ETag)
			got := map[string][]string{}
			for i, f := range e.Header {
				require.Equal(t, len(f.Values), cap(f.Values), "field %s", f.Name)
				if i > 0 {
					require.Negative(t, strings.Compare(e.Header[i-1].Name, f.Name), "fields sorted")
				}
				got[f.Name] = f.Values
			}
			require.Equal(t, []string{want}, e.ETagValues())
			require.NotContains(t, got, "Etag")
			if tc.size > autoLengthLimit {
				require.Equal(t, []string{strconv.Itoa(tc.size)}, got["Content-Length"])
			} else {
				require.NotContains(t, got, "Content-Length")
			}
			require.NotContains(t, got, "Date")
			for name, vals := range tc.header {
				if name != "Date" && name != "Etag" && name != "Content-Length" {
					require.Equal(t, vals, got[name], name)
				}
			}
			require.Equal(t, backend.Entry{}.Tokens, e.Tokens)
		})
	}
}

// newEntry allocates the entry and its ETag, and a Content-Length value
// only when the body needs one: the value's array once escaped to the heap
// on every miss, needed or not.
func TestNewEntryAllocations(t *testing.T) {
	rs := &routeState{ttl: time.Minute}
	now := time.Unix(1000, 0)
	h := http.Header{"Content-Type": {"application/json"}}
	rs.newEntry(200, h, []byte("{}"), now, nil) // interns the header set
	small := bytes.Repeat([]byte("y"), 1024)
	require.Equal(t, 2.0, testing.AllocsPerRun(100, func() { rs.newEntry(200, h, small, now, nil) }),
		"allocations of a 1 KiB entry: the entry and its ETag")
	large := bytes.Repeat([]byte("y"), autoLengthLimit+1)
	rs.newEntry(200, h, large, now, nil) // interns the set with Content-Length
	require.Equal(t, 4.0, testing.AllocsPerRun(100, func() { rs.newEntry(200, h, large, now, nil) }),
		"allocations of an entry over autoLengthLimit: the entry, its ETag, the length's value and its string")
}
