package directive

import (
	"go/token"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFixes checks the edits that repair a directive: applied to the
// line, they give a directive that parses without errors.
func TestFixes(t *testing.T) {
	const base = token.Pos(100)
	for in, want := range map[string]string{
		"//cache:tll=60 public": "//cache:ttl=60 public",
		"//cache:ttl=60 vray=a": "//cache:ttl=60 vary=a",
		"//cache:  ttl=60":      "//cache:ttl=60",
		"//cache:INVALIDATE=/a": "//cache:invalidate=/a",
		"//cache:\tttl=60":      "//cache:ttl=60",
	} {
		_, errs := Parse([]Comment{{Text: in, Pos: base}})
		require.Len(t, errs, 1, in)
		fix := errs[0].Fix
		require.NotNil(t, fix, "%s: %s", in, errs[0].Msg)
		got := in[:fix.Pos-base] + fix.New + in[fix.End-base:]
		assert.Equal(t, want, got, in)
		_, errs = Parse([]Comment{{Text: got, Pos: base}})
		assert.Empty(t, errs, got)
	}
	_, errs := Parse([]Comment{{Text: "//cache:bogus=1", Pos: base}})
	require.Len(t, errs, 1)
	assert.Nil(t, errs[0].Fix, "no key is close enough to suggest")
}
