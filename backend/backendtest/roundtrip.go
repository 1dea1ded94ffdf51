package backendtest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
)

var roundTripCases = []testCase{
	{name: "EntryRoundTrip", run: testEntryRoundTrip},
}

// roundTripEntries builds fresh entries covering what a response can
// carry. It is called twice: once for Store, which owns what it is given,
// and once for the comparison.
func roundTripEntries() map[string]*backend.Entry {
	binary := make([]byte, 256*4)
	for i := range binary {
		binary[i] = byte(i)
	}
	at := time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)
	return map[string]*backend.Entry{
		"bt:rt:full": {
			Status: 200,
			// Multi-valued fields keep their values in order; fields keep
			// theirs, which is not sorted.
			Header: []backend.HeaderField{
				{Name: "Content-Type", Values: []string{"application/octet-stream"}},
				{Name: "X-Zeta", Values: []string{"3", "1", "2"}},
				{Name: "Link", Values: []string{"</a>; rel=prev", "</c>; rel=next"}},
				{Name: "X-Alpha", Values: []string{""}},
				{Name: "Etag", Values: []string{`"rt-1"`}},
			},
			Body:     binary,
			ETag:     `"rt-1"`,
			StoredAt: at,
			Expires:  at.Add(90 * time.Second),
			Stale:    45*time.Second + 7,
		},
		"bt:rt:empty": {
			Status: 204,
			Body:   []byte{},
		},
		"bt:rt:local-time": {
			Status:   404,
			Header:   []backend.HeaderField{{Name: "Content-Type", Values: []string{"text/plain; charset=utf-8"}}},
			Body:     []byte("not found\n"),
			StoredAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3*3600+1800)),
			Expires:  time.Date(2026, 1, 2, 3, 5, 5, 999999999, time.UTC),
		},
		"bt:rt:large": {
			Status: 203,
			Header: []backend.HeaderField{{Name: "X-Long", Values: []string{strings.Repeat("v", 8<<10)}}},
			Body:   bytes.Repeat([]byte("0123456789abcdef\x00\xff"), 64<<10/18),
			ETag:   `"large"`,
		},
	}
}

// Entries come back exactly as stored: status, header fields in order
// with their values in order, body bytes, ETag, times to the nanosecond,
// and Stale.
func testEntryRoundTrip(t *testing.T, s *suite) {
	b := s.open(t)
	want := roundTripEntries()
	for key, e := range roundTripEntries() {
		_, err := store(b, key, e, defaultTTL, []string{tokItem}, tokens(t, b, tokItem))
		require.NoError(t, err, "Store(%q)", key)
	}
	for key, w := range want {
		got := mustHit(t, b, key, tokItem)
		diff := EntryDiff(w, got)
		assert.Empty(t, diff, "Lookup(%q) after Store: %s", key, diff)
	}
}

// EntryDiff describes how got differs from want in what a backend must
// keep of an entry (status, header fields and their values in order, body,
// ETag, times to the nanosecond, Stale), or returns "" when it does not.
// Tokens are left out: Store sets them. A backend that encodes entries its
// own way can use it in its own tests.
func EntryDiff(want, got *backend.Entry) string {
	var d []string
	if got.Status != want.Status {
		d = append(d, fmt.Sprintf("status %d, want %d", got.Status, want.Status))
	}
	if len(got.Header) != len(want.Header) {
		d = append(d, fmt.Sprintf("%d header fields, want %d", len(got.Header), len(want.Header)))
	} else {
		for i, f := range want.Header {
			g := got.Header[i]
			if g.Name != f.Name || !slices.Equal(g.Values, f.Values) {
				d = append(d, fmt.Sprintf("header field %d = %s: %q, want %s: %q", i, g.Name, g.Values, f.Name, f.Values))
			}
		}
	}
	if !bytes.Equal(got.Body, want.Body) {
		d = append(d, fmt.Sprintf("body of %d bytes differs from the %d stored", len(got.Body), len(want.Body)))
	}
	if got.ETag != want.ETag {
		d = append(d, fmt.Sprintf("ETag %q, want %q", got.ETag, want.ETag))
	}
	if !got.StoredAt.Equal(want.StoredAt) {
		d = append(d, fmt.Sprintf("StoredAt %v, want %v", got.StoredAt, want.StoredAt))
	}
	if !got.Expires.Equal(want.Expires) {
		d = append(d, fmt.Sprintf("Expires %v, want %v", got.Expires, want.Expires))
	}
	if got.Stale != want.Stale {
		d = append(d, fmt.Sprintf("Stale %v, want %v", got.Stale, want.Stale))
	}
	return strings.Join(d, "; ")
}
