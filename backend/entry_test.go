package backend_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/backendtest"
)

// sampleEntries covers what an encoding must carry.
func sampleEntries() map[string]*backend.Entry {
	binaryBody := make([]byte, 512)
	for i := range binaryBody {
		binaryBody[i] = byte(i * 7)
	}
	at := time.Date(2026, 5, 6, 7, 8, 9, 987654321, time.UTC)
	return map[string]*backend.Entry{
		"full": {
			Status: 200,
			Header: []backend.HeaderField{
				{Name: "Content-Type", Values: []string{"application/json; charset=utf-8"}},
				{Name: "Vary", Values: []string{"Accept", "Accept-Language"}},
				{Name: "X-Empty", Values: []string{""}},
				{Name: "Etag", Values: []string{`"e1"`}},
			},
			Body:     binaryBody,
			ETag:     `"e1"`,
			StoredAt: at,
			Expires:  at.Add(time.Minute),
			Stale:    30 * time.Second,
			Tokens:   []backend.Token{1, 1<<64 - 1, 0x0123456789abcdef},
		},
		"minimal": {Status: 204},
		"no-values": {
			Status: 301,
			Header: []backend.HeaderField{{Name: "X-None", Values: []string{}}},
			Body:   []byte{},
		},
		"negative-stale": {Status: 999, Stale: -time.Nanosecond, StoredAt: time.Unix(-5, 0)},
		"large": {
			Status: 100,
			Header: []backend.HeaderField{{Name: "X-Big", Values: []string{strings.Repeat("h", 70_000)}}},
			Body:   bytes.Repeat([]byte{0, 0xff}, 100_000),
		},
	}
}

func marshal(t testing.TB, e *backend.Entry) []byte {
	t.Helper()
	b, err := e.MarshalBinary()
	require.NoError(t, err, "MarshalBinary")
	return b
}

// AppendBinary into a buffer with room allocates nothing, whatever the
// body's size: the Redis backend encodes every entry it stores into a
// pooled buffer. (It used to copy a body over 32 bytes to a string first.)
func TestEntryAppendBinaryAllocatesNothing(t *testing.T) {
	for name, e := range sampleEntries() {
		buf := make([]byte, 0, e.Size())
		n := testing.AllocsPerRun(50, func() {
			if _, err := e.AppendBinary(buf[:0]); err != nil {
				t.Fatal(err)
			}
		})
		require.Zero(t, n, "%s: allocations per AppendBinary", name)
		got, err := e.AppendBinary(buf[:0])
		require.NoError(t, err)
		require.Equal(t, marshal(t, e), got, "%s: AppendBinary and MarshalBinary differ", name)
	}
}

// sameEntry fails t unless got carries everything want does, tokens too.
func sameEntry(t testing.TB, name string, want, got *backend.Entry) {
	t.Helper()
	require.Empty(t, backendtest.EntryDiff(want, got), name)
	require.Equal(t, want.Tokens, got.Tokens, "%s: tokens", name)
}

func TestEntryEncodingRoundTrip(t *testing.T) {
	for name, e := range sampleEntries() {
		data := marshal(t, e)
		var got backend.Entry
		require.NoError(t, got.UnmarshalBinary(data), "%s: UnmarshalBinary", name)
		sameEntry(t, name, e, &got)
		// The encoding is deterministic: a decoded entry encodes the same.
		again := marshal(t, &got)
		require.Equal(t, data, again, "%s: re-encoding a decoded entry gave different bytes", name)
		// Each header field's values are full (len == cap), so an Add on a
		// response header map copies instead of writing into the entry.
		for _, f := range got.Header {
			require.Len(t, f.Values, cap(f.Values), "%s: decoded values of %s have len != cap", name, f.Name)
		}
	}
}

// AppendBinary appends after what the buffer holds; the encoding decodes
// from where it starts.
func TestEntryAppendBinary(t *testing.T) {
	e := sampleEntries()["full"]
	out, err := e.AppendBinary([]byte("prefix"))
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(out, []byte("prefix")), "AppendBinary lost the prefix")
	require.Equal(t, marshal(t, e), out[len("prefix"):], "AppendBinary did not append the encoding after the prefix")
}

// A decoded entry owns its bytes: the caller may reuse the buffer it
// decoded from (encoding.BinaryUnmarshaler's rule).
func TestEntryUnmarshalCopies(t *testing.T) {
	e := sampleEntries()["full"]
	data := marshal(t, e)
	var got backend.Entry
	require.NoError(t, got.UnmarshalBinary(data))
	clear(data)
	sameEntry(t, "after the caller reused its buffer", e, &got)
}

func TestEntryMarshalRejects(t *testing.T) {
	for name, e := range map[string]*backend.Entry{
		"status 99":    {Status: 99},
		"status 1000":  {Status: 1000},
		"5000 headers": {Status: 200, Header: make([]backend.HeaderField, 5000)},
		"2000 tokens":  {Status: 200, Tokens: make([]backend.Token, 2000)},
	} {
		_, err := e.MarshalBinary()
		assert.Error(t, err, "MarshalBinary of an entry with %s", name)
	}
}

// sealed frames body the way the encoding does (magic, version, body,
// CRC-32C), so that a test or the fuzzer reaches the parser behind the
// checksum.
func sealed(version byte, body []byte) []byte {
	b := append([]byte("GCE"), version)
	b = append(b, body...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
}

// Damage of every kind is an error wrapping ErrCorrupt, never a panic and
// never a garbled entry.
func TestEntryUnmarshalCorrupt(t *testing.T) {
	valid := marshal(t, sampleEntries()["full"])
	corrupt := func(name string, data []byte) {
		t.Helper()
		var e backend.Entry
		err := e.UnmarshalBinary(data)
		assert.ErrorIs(t, err, backend.ErrCorrupt, "%s: UnmarshalBinary", name)
	}
	for n := range len(valid) {
		corrupt("truncated", valid[:n])
	}
	for i := range len(valid) * 8 {
		flipped := slices.Clone(valid)
		flipped[i/8] ^= 1 << (i % 8)
		corrupt("one bit flipped", flipped)
	}
	corrupt("trailing byte", append(slices.Clone(valid), 0))
	corrupt("nil", nil)
	// Damage behind a valid checksum: the parser's own checks.
	body := valid[4 : len(valid)-4]
	corrupt("bad magic", append([]byte("XYZ\x01"), valid[4:]...))
	corrupt("unknown version", sealed(2, body))
	corrupt("trailing bytes under the checksum", sealed(1, append(slices.Clone(body), 7)))
	corrupt("body cut under the checksum", sealed(1, body[:len(body)-1]))
	corrupt("status 0", sealed(1, []byte{0, 0, 0, 0, 0, 0, 0, 0, 0}))
	corrupt("status 1000", sealed(1, binary.AppendUvarint(nil, 1000)))
	corrupt("empty", sealed(1, nil))
	huge := binary.AppendUvarint(nil, 200)   // status
	huge = append(huge, 0, 0, 0)             // times, stale
	huge = binary.AppendUvarint(huge, 1<<62) // a token count no input can hold
	corrupt("token count past the input", sealed(1, huge))
	overlong := binary.AppendUvarint(nil, 200)
	overlong = append(overlong, 0, 0, 0, 0, 0)   // times, stale, no tokens, no headers
	overlong = binary.AppendUvarint(overlong, 9) // an ETag longer than what follows
	corrupt("string past the input", sealed(1, append(overlong, "abc"...)))
	corrupt("unterminated varint", sealed(1, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}))
}

// FuzzEntryDecode: whatever the input, decoding either fails with
// ErrCorrupt or gives an entry that encodes and decodes back to itself.
// Each input is also tried sealed behind a valid magic, version and
// checksum, so the fuzzer explores the parser and not only the checksum.
func FuzzEntryDecode(f *testing.F) {
	for _, e := range sampleEntries() {
		if len(e.Body) > 1000 {
			continue
		}
		data := marshal(f, e)
		f.Add(data)
		f.Add(data[4 : len(data)-4])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		decodeCheck(t, data)
		decodeCheck(t, sealed(1, data))
	})
}

func decodeCheck(t *testing.T, data []byte) {
	var e backend.Entry
	if err := e.UnmarshalBinary(data); err != nil {
		require.ErrorIs(t, err, backend.ErrCorrupt, "UnmarshalBinary")
		return
	}
	again, err := e.MarshalBinary()
	require.NoError(t, err, "a decoded entry does not encode")
	var back backend.Entry
	require.NoError(t, back.UnmarshalBinary(again), "the re-encoding of a decoded entry does not decode")
	sameEntry(t, "decode, encode, decode", &e, &back)
	last := marshal(t, &back)
	require.Equal(t, again, last, "encoding is not stable across a round trip")
}

// SetETag makes ETagValues a slice of the entry itself: a hit assigns it
// to the response without allocating, a copy of the entry carries it,
// and an ETag assigned directly is still given right.
func TestEntryETagValues(t *testing.T) {
	var e backend.Entry
	require.Nil(t, e.ETagValues(), "an entry without an ETag")
	e.SetETag(`"a"`)
	require.Equal(t, []string{`"a"`}, e.ETagValues())
	require.Len(t, e.ETagValues(), cap(e.ETagValues()), "ETagValues must have len == cap")
	require.Zero(t, testing.AllocsPerRun(100, func() { _ = e.ETagValues() }), "ETagValues after SetETag allocates")
	cp := e
	require.Equal(t, []string{`"a"`}, cp.ETagValues(), "a copy of the entry")
	require.Zero(t, testing.AllocsPerRun(100, func() { _ = cp.ETagValues() }), "ETagValues of a copy allocates")
	require.NotSame(t, &e.ETagValues()[0], &cp.ETagValues()[0], "a copy shares its ETag values with the original")
	cp.ETag = `"b"`
	require.Equal(t, []string{`"b"`}, cp.ETagValues(), "an ETag assigned directly")
	require.Equal(t, []string{`"a"`}, e.ETagValues(), "the original after its copy changed")

	var got backend.Entry
	require.NoError(t, got.UnmarshalBinary(marshal(t, sampleEntries()["full"])))
	require.Equal(t, []string{`"e1"`}, got.ETagValues(), "a decoded entry")
	require.Zero(t, testing.AllocsPerRun(100, func() { _ = got.ETagValues() }), "ETagValues of a decoded entry allocates")
}

// ShareETag and ShareInto make a scratch Entry's ETag values the record's
// own: what a response took from the scratch stays right when the scratch
// is filled again for the next request.
func TestEntryShareETag(t *testing.T) {
	record := [1]string{`"r1"`}
	var scratch backend.Entry
	scratch.ShareETag(&record)
	require.Equal(t, `"r1"`, scratch.ETag)
	sent := scratch.ETagValues()
	require.Same(t, &record[0], &sent[0], "ETagValues after ShareETag is not the record's array")
	require.Zero(t, testing.AllocsPerRun(100, func() { _ = scratch.ETagValues() }), "ETagValues after ShareETag allocates")

	var owner backend.Entry
	owner.SetETag(`"o1"`)
	owner.ShareInto(&scratch)
	require.Equal(t, `"o1"`, scratch.ETag)
	again := scratch.ETagValues()
	require.Same(t, &owner.ETagValues()[0], &again[0], "ETagValues after ShareInto is not the owner's")
	scratch = backend.Entry{} // the caller reuses its scratch
	scratch.SetETag(`"other"`)
	require.Equal(t, []string{`"r1"`}, sent, "the values sent from the first fill changed with the scratch")
	require.Equal(t, []string{`"o1"`}, again, "the values sent from the second fill changed with the scratch")

	scratch.ShareETag(&record)
	scratch.ETag = `"assigned"`
	require.Equal(t, []string{`"assigned"`}, scratch.ETagValues(), "an ETag assigned after ShareETag")
	var none backend.Entry
	none.ShareETag(new([1]string))
	require.Nil(t, none.ETagValues(), "an empty shared ETag")
}
