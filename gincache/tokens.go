package gincache

import (
	"strings"

	"github.com/intelligentcache/gin-intelligent-cache/policy"
)

// Token names. Every path node N has two tokens: S(N), renewed when N's
// whole subtree changes, and E(N), renewed when N's own responses change;
// one global epoch token sits above them all. Names look like
//
//	gincache:t:{/}:epoch
//	gincache:t:{/}:S:/
//	gincache:t:{/spaces}:S:/spaces/123
//	gincache:t:{/spaces}:E:/spaces/123
//
// The braces are a Redis Cluster hash tag: all tokens under one first
// segment share a slot, so a hit reads them with one MGET, while different
// resources spread over the cluster. Nodes come from the decoded path
// (URL.Path, what Gin routes on by default), split on '/' with empty
// segments dropped, so /spaces/%31, /spaces/1 and /spaces//1/ all name the
// same nodes: when in doubt two requests share tokens, which can only
// over-invalidate. Hosts are not part of token names: a write through any
// host name invalidates the path everywhere.
const (
	// maxDepth is the deepest path cached; deeper GETs are passed through.
	maxDepth = 32
	// maxNames is the most tokens one GET depends on: epoch, S of the root
	// and of each node, E of the last node.
	maxNames = maxDepth + 3
	// maxTagLen and maxNodeLen bound a name; longer parts become digests.
	maxTagLen  = 64
	maxNodeLen = 256
)

// tokenNamer builds token names for one cache.
type tokenNamer struct {
	head  string // "gincache:t:"
	epoch string // head + "{/}:epoch"
	rootS string // head + "{/}:S:/"
	rootE string // head + "{/}:E:/"
}

func newTokenNamer(prefix string) tokenNamer {
	head := prefix + ":t:"
	return tokenNamer{
		head:  head,
		epoch: head + "{/}:epoch",
		rootS: head + "{/}:S:/",
		rootE: head + "{/}:E:/",
	}
}

// pathDepth counts the non-empty segments of a decoded path, as segments
// would split it, without building them: a hit needs only their number
// (readCount). ok is false past maxDepth.
func pathDepth(path string) (int, bool) {
	n := 0
	for i := 0; i < len(path); i++ {
		if path[i] != '/' && (i == 0 || path[i-1] == '/') {
			if n == maxDepth {
				return n, false
			}
			n++
		}
	}
	return n, true
}

// segments splits a decoded path into its non-empty segments, appending
// them to dst. ok is false past maxDepth.
func segments(dst []string, path string) ([]string, bool) {
	for path != "" {
		var seg string
		seg, path, _ = strings.Cut(path, "/")
		if seg == "" {
			continue
		}
		if len(dst) == maxDepth {
			return dst, false
		}
		dst = append(dst, seg)
	}
	return dst, true
}

// nameSet accumulates token names in one buffer; names are views into it.
type nameSet struct {
	buf   []byte
	ends  []int
	names []string
}

func (n *nameSet) reset() {
	n.buf = n.buf[:0]
	n.ends = n.ends[:0]
	n.names = n.names[:0]
}

// builtName locates a name add built in the buffer, for the next name of
// the same path to start from a copy of it. ok is false when there is
// none, or its node part was replaced by a digest.
type builtName struct {
	start, kindAt, nodeAt, end, depth int
	ok                                bool
}

// add appends the name of token kind ('S' or 'E') at the node made of
// segs[:depth] (depth 0 is the root). prev is the last name add built for
// the same segs: a name at least as deep starts as a copy of it with the
// kind changed, and only the segments past it are escaped (a GET's names
// come as S of each node, then E of the deepest, so each extends the one
// before). It returns the name it built, for the next call.
func (n *nameSet) add(t *tokenNamer, kind byte, segs []string, depth int, prev builtName) builtName {
	if depth == 0 {
		if kind == 'S' {
			n.addConst(t.rootS)
		} else {
			n.addConst(t.rootE)
		}
		return prev
	}
	b := n.buf
	cur := builtName{start: len(b), depth: depth}
	from := 0
	if prev.ok && depth >= prev.depth {
		b = append(b, b[prev.start:prev.end]...)
		cur.kindAt = cur.start + prev.kindAt - prev.start
		cur.nodeAt = cur.start + prev.nodeAt - prev.start
		b[cur.kindAt] = kind
		from = prev.depth
	} else {
		b = append(b, t.head...)
		b = append(b, "{/"...)
		tag := len(b)
		b = appendEscaped(b, segs[0], segmentSafe)
		b = bound(b, tag, maxTagLen, 0)
		b = append(b, "}:"...)
		cur.kindAt = len(b)
		b = append(b, kind, ':')
		cur.nodeAt = len(b)
	}
	for _, s := range segs[from:depth] {
		b = append(b, '/')
		b = appendEscaped(b, s, segmentSafe)
	}
	cur.ok = len(b)-cur.nodeAt <= maxNodeLen
	b = bound(b, cur.nodeAt, maxNodeLen, 0)
	cur.end = len(b)
	n.buf = b
	n.ends = append(n.ends, len(b))
	n.names = append(n.names, "")
	return cur
}

// addConst adds a name that is a constant string.
func (n *nameSet) addConst(s string) {
	n.ends = append(n.ends, -1)
	n.names = append(n.names, s)
}

// finish turns the buffer positions into strings. It runs once all names
// are added, because the buffer may move while it grows.
func (n *nameSet) finish() []string {
	start := 0
	for i, end := range n.ends {
		if end < 0 {
			continue
		}
		n.names[i] = unsafeString(n.buf[start:end])
		start = end
	}
	return n.names
}

// readCount is how many tokens readNames lists for a path of depth
// segments.
func readCount(depth int) int { return depth + 3 }

// readNames lists the tokens a GET of the path depends on: the epoch,
// then policy.ReadTokens.
func (n *nameSet) readNames(t *tokenNamer, segs []string) {
	n.addConst(t.epoch)
	var buf [maxNames]policy.Token
	n.addTokens(t, segs, policy.ReadTokens(buf[:0], len(segs)))
}

// writeNames lists the tokens a successful write renews
// (policy.WriteTokens).
func (n *nameSet) writeNames(t *tokenNamer, method string, segs []string) {
	var buf [maxNames]policy.Token
	n.addTokens(t, segs, policy.WriteTokens(buf[:0], method, len(segs)))
}

// targetNames lists the token an explicit target renews: E of an exact
// path, S of a path given with a trailing "/*" (policy.Target.Token).
func (n *nameSet) targetNames(t *tokenNamer, segs []string, subtree bool) {
	tok := policy.Target{Segments: segs, Subtree: subtree}.Token()
	n.add(t, byte(tok.Kind), segs, tok.Depth, builtName{})
}

// addTokens adds the names of toks, nodes of the path segs.
func (n *nameSet) addTokens(t *tokenNamer, segs []string, toks []policy.Token) {
	var prev builtName
	for _, tok := range toks {
		prev = n.add(t, byte(tok.Kind), segs, tok.Depth, prev)
	}
}
