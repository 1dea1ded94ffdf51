package backend

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"time"
	"unsafe"
)

// Entry is one cached response.
//
// The cache builds it once, at store time, in the form it is replayed in:
// header names canonical, values ready to be assigned to a response header
// map as they are (each Values slice has len == cap, so a later Add on the
// response copies instead of writing into the entry), Content-Length
// already among the fields. A hit copies nothing.
//
// The ETag is not among the header fields: it is the one field that
// differs between responses of a route, so keeping it apart lets entries
// share one read-only Header slice (the cache interns them per route).
// ETagValues gives it as a header value.
type Entry struct {
	// Status is the HTTP status code.
	Status int
	// Header lists the response header fields to replay, in order, the
	// ETag excepted. It is read-only and may be shared between entries.
	Header []HeaderField
	// Body is the response body.
	Body []byte
	// ETag is the strong entity tag of Body, quoted ("..."), sent as the
	// Etag field (ETagValues). Set it with SetETag, which also sets what
	// ETagValues returns without allocating; an entry whose ETag was
	// assigned directly still works, at one allocation per ETagValues.
	ETag string
	// StoredAt is when the response was produced; Age counts from it.
	StoredAt time.Time
	// Expires is the end of freshness.
	Expires time.Time
	// Stale is how long after Expires the entry may still be served stale
	// (stale-while-revalidate, stale-if-error); 0 for none.
	Stale time.Duration
	// Tokens are the generation token values the entry was stored under,
	// set by Store, in the order of the names Store was given.
	Tokens []Token

	// etag is ETag as the values of a header field (len == cap), set by
	// SetETag, so that a hit assigns it without allocating. It is part of
	// the entry's value: a copy of the entry carries it.
	etag [1]string
	// shared, set by ShareETag, holds the ETag as header values in memory
	// that outlives the entry: a backend's own record, when the entry is a
	// caller's scratch filled by Peek and reused after the response.
	shared *[1]string
}

// ShareETag sets the entry's ETag to v[0] and makes ETagValues return v[:]
// itself. A backend that fills a caller's Entry from a record of its own
// (Peeker) passes the record's array, so that the response's Etag field
// refers to the record, not to the caller's Entry, which the caller may
// reuse once the response is written. v must not change afterwards.
func (e *Entry) ShareETag(v *[1]string) {
	e.ETag = v[0]
	e.shared = v
}

// ShareInto sets *dst to a copy of e whose ETagValues are e's own (see
// ShareETag): dst may be a scratch Entry reused after the response, while
// e lives on.
func (e *Entry) ShareInto(dst *Entry) {
	*dst = *e
	if e.ETag != "" && sameString(e.etag[0], e.ETag) {
		dst.shared = &e.etag
	}
}

// SetETag sets the entry's ETag.
func (e *Entry) SetETag(tag string) {
	e.ETag = tag
	e.etag[0] = tag
}

// ETagValues returns the ETag as the values of an Etag header field
// ([]string{e.ETag}, len == cap, to be treated as read-only), or nil when
// the entry has none. It does not allocate for an entry whose ETag was
// set with SetETag or ShareETag, or decoded.
func (e *Entry) ETagValues() []string {
	t := e.ETag
	switch {
	case t == "":
		return nil
	case e.shared != nil && sameString(e.shared[0], t):
		return e.shared[:] // set by ShareETag
	case sameString(e.etag[0], t):
		return e.etag[:] // set by SetETag: the same string
	}
	return []string{t}
}

// sameString reports whether a and b are the same bytes in memory, which
// is what tells a value set by SetETag or ShareETag from a reassigned one.
func sameString(a, b string) bool {
	return len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b)
}

// HeaderField is one response header field: a canonical name and its
// values.
type HeaderField struct {
	Name   string
	Values []string
}

// Size is roughly how many bytes the entry occupies, for memory
// accounting: the struct, its body, ETag and tokens, and its header
// fields counted as if it held them alone (entries of a route usually
// share them, so this errs high).
func (e *Entry) Size() int {
	n := 176 + len(e.Body) + len(e.ETag) + 16*len(e.Tokens)
	for _, f := range e.Header {
		n += 40 + len(f.Name)
		for _, v := range f.Values {
			n += 16 + len(v)
		}
	}
	return n
}

// Encoding of an entry, for backends that store bytes:
//
//	"GCE" version(1)
//	uvarint status, varint storedAt, varint expires (Unix ns), varint stale (ns)
//	uvarint n, n x 8-byte little-endian tokens
//	uvarint n, n x (string name, uvarint m, m x string value)
//	string etag, string body
//	4-byte little-endian CRC-32C of everything before it
//
// where a string is a uvarint length and the bytes. The checksum makes a
// truncated or bit-flipped value a decoding error (a miss), never a
// garbled response.
const (
	entryMagic   = "GCE"
	entryVersion = 1
	// Limits that keep a corrupt length from allocating without bound.
	maxEncodedHeaders = 4096
	maxEncodedTokens  = 1024
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// MarshalBinary encodes the entry.
func (e *Entry) MarshalBinary() ([]byte, error) {
	return e.AppendBinary(make([]byte, 0, e.Size()))
}

// AppendBinary appends the entry's encoding to b.
func (e *Entry) AppendBinary(b []byte) ([]byte, error) {
	if e.Status < 100 || e.Status > 999 {
		return nil, fmt.Errorf("backend: entry status %d out of range", e.Status)
	}
	if len(e.Header) > maxEncodedHeaders || len(e.Tokens) > maxEncodedTokens {
		return nil, fmt.Errorf("backend: entry has too many headers or tokens")
	}
	start := len(b)
	b = append(b, entryMagic...)
	b = append(b, entryVersion)
	b = binary.AppendUvarint(b, uint64(e.Status))
	b = binary.AppendVarint(b, UnixNano(e.StoredAt))
	b = binary.AppendVarint(b, UnixNano(e.Expires))
	b = binary.AppendVarint(b, int64(e.Stale))
	b = binary.AppendUvarint(b, uint64(len(e.Tokens)))
	for _, t := range e.Tokens {
		b = binary.LittleEndian.AppendUint64(b, uint64(t))
	}
	b = binary.AppendUvarint(b, uint64(len(e.Header)))
	for _, f := range e.Header {
		b = appendString(b, f.Name)
		b = binary.AppendUvarint(b, uint64(len(f.Values)))
		for _, v := range f.Values {
			b = appendString(b, v)
		}
	}
	b = appendString(b, e.ETag)
	// Not appendString(b, string(e.Body)): the conversion would copy a
	// body longer than 32 bytes to the heap first.
	b = binary.AppendUvarint(b, uint64(len(e.Body)))
	b = append(b, e.Body...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli)), nil
}

// UnmarshalBinary decodes an entry encoded by MarshalBinary. Any damage
// (truncation, a flipped bit, trailing bytes, an unknown version) is an
// error wrapping ErrCorrupt; it never panics. The entry does not keep a
// reference to data: it keeps one copy of it, which all its strings and
// its body share.
func (e *Entry) UnmarshalBinary(data []byte) error {
	return e.decode(string(data))
}

// DecodeString decodes an entry as UnmarshalBinary does, without copying:
// the entry's header names and values, ETag and body are views of s, so it
// costs a few allocations whatever the number of headers. It is for a
// backend whose client hands it a string it never writes to (go-redis
// replies); the decoded entry must then be treated as read-only.
func (e *Entry) DecodeString(s string) error { return e.decode(s) }

// decode decodes an entry from s and keeps s: header names and values,
// the ETag and the body are views of it, so a decoded entry costs a few
// allocations whatever its number of headers. Nothing ever writes to a
// decoded entry's strings; its Body may be written by its owner, and no
// string overlaps it.
func (e *Entry) decode(s string) error {
	data := unsafe.Slice(unsafe.StringData(s), len(s)) // read-only view
	if len(data) < len(entryMagic)+1+4 {
		return corrupt("too short")
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return corrupt("checksum mismatch")
	}
	if string(body[:len(entryMagic)]) != entryMagic {
		return corrupt("bad magic")
	}
	if body[len(entryMagic)] != entryVersion {
		return corrupt(fmt.Sprintf("unknown version %d", body[len(entryMagic)]))
	}
	d := decoder{b: body[len(entryMagic)+1:]}
	var out Entry
	status := d.uvarint()
	if status < 100 || status > 999 {
		return corrupt("status out of range")
	}
	out.Status = int(status)
	out.StoredAt = FromUnixNano(d.varint())
	out.Expires = FromUnixNano(d.varint())
	out.Stale = time.Duration(d.varint())
	if n := d.count(8, maxEncodedTokens); n > 0 {
		out.Tokens = make([]Token, n)
		for i := range out.Tokens {
			out.Tokens[i] = Token(d.uint64())
		}
	}
	if n := d.count(2, maxEncodedHeaders); n > 0 {
		out.Header = make([]HeaderField, n)
		// One backing array for every field's values; each field gets a
		// full slice expression of it (len == cap), as Entry requires.
		values := make([]string, 0, n+2)
		for i := range out.Header {
			out.Header[i].Name = d.string()
			m := d.count(1, maxEncodedHeaders)
			start := len(values)
			for range m {
				values = append(values, d.string())
			}
			out.Header[i].Values = values[start : start+m : start+m]
		}
	}
	out.SetETag(d.string())
	bodyLen := d.count(1, len(d.b))
	out.Body = d.bytes(bodyLen)
	if d.err != "" {
		return corrupt(d.err)
	}
	if len(d.b) != 0 {
		return corrupt("trailing bytes")
	}
	*e = out
	return nil
}

func corrupt(why string) error { return fmt.Errorf("%w: %s", ErrCorrupt, why) }

// UnixNano is t in Unix ns, 0 for the zero time: how the entry encoding,
// and a backend that keeps an entry's times as integers, store them.
// FromUnixNano turns it back.
func UnixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// FromUnixNano is the time of n Unix ns, the zero time for 0
// (UnixNano's inverse, up to the location and the monotonic reading).
func FromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decoder reads the encoding; the first error sticks and later reads
// return zero values, so the caller checks once at the end.
type decoder struct {
	b   []byte
	err string
}

func (d *decoder) fail(why string) {
	if d.err == "" {
		d.err = why
	}
	d.b = nil
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad uvarint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uint64() uint64 {
	if len(d.b) < 8 {
		d.fail("truncated")
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

// count reads a length that must fit the remaining bytes (each element
// taking at least minSize) and max.
func (d *decoder) count(minSize, max int) int {
	v := d.uvarint()
	if v > uint64(max) || v*uint64(minSize) > uint64(len(d.b)) {
		d.fail("length out of range")
		return 0
	}
	return int(v)
}

func (d *decoder) bytes(n int) []byte {
	if n > len(d.b) {
		d.fail("truncated")
		return nil
	}
	out := d.b[:n:n]
	d.b = d.b[n:]
	return out
}

// string returns a view of the next string: decode's input is a string,
// never written, so the view is immutable.
func (d *decoder) string() string {
	b := d.bytes(d.count(1, len(d.b)))
	return unsafe.String(unsafe.SliceData(b), len(b))
}
