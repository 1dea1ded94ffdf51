package gincache

import (
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/policy"
)

// namesOneByOne builds the names of toks each from scratch, as add did
// before it learned to extend the previous name.
func namesOneByOne(t *tokenNamer, segs []string, toks []policy.Token) []string {
	var out []string
	for _, tok := range toks {
		var n nameSet
		n.add(t, byte(tok.Kind), segs, tok.Depth, builtName{})
		out = append(out, strings.Clone(n.finish()[0]))
	}
	return out
}

// The token names a GET and the writes of a path depend on, written out,
// and built by extending each previous name the same as built one by one:
// for paths of every depth, with segments that need escaping and segments
// long enough for the tag or the node to become a digest.
func TestTokenNames(t *testing.T) {
	tn := newTokenNamer("gincache")
	var n nameSet
	n.readNames(&tn, []string{"spaces", "123"})
	require.Equal(t, []string{
		"gincache:t:{/}:epoch",
		"gincache:t:{/}:S:/",
		"gincache:t:{/spaces}:S:/spaces",
		"gincache:t:{/spaces}:S:/spaces/123",
		"gincache:t:{/spaces}:E:/spaces/123",
	}, n.finish())

	rng := rand.New(rand.NewPCG(3, 4))
	segment := func() string {
		switch rng.IntN(6) {
		case 0:
			return strings.Repeat("x", 40+rng.IntN(100)) // digests: a long tag, then a long node
		case 1:
			return "a b/%{}:é"[:1+rng.IntN(10)]
		default:
			return string(rune('a'+rng.IntN(26))) + strings.Repeat("y", rng.IntN(8))
		}
	}
	for range 2000 {
		segs := make([]string, rng.IntN(8))
		for i := range segs {
			segs[i] = segment()
		}
		var buf [maxNames]policy.Token
		lists := map[string][]policy.Token{
			"GET":    policy.ReadTokens(buf[:0], len(segs)),
			"PUT":    policy.WriteTokens(nil, http.MethodPut, len(segs)),
			"POST":   policy.WriteTokens(nil, http.MethodPost, len(segs)),
			"DELETE": policy.WriteTokens(nil, http.MethodDelete, len(segs)),
		}
		for method, toks := range lists {
			n.reset()
			n.addTokens(&tn, segs, toks)
			got := n.finish()
			require.Equal(t, namesOneByOne(&tn, segs, toks), got, "%s %q", method, segs)
			for _, name := range got {
				require.LessOrEqual(t, len(name), len(tn.head)+maxTagLen+maxNodeLen+8, "%s %q: name %q too long", method, segs, name)
			}
		}
	}
}
