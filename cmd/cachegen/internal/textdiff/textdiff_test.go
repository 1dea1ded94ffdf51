package textdiff

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUnifiedEqual(t *testing.T) {
	got := Unified("a", "b", "x\ny\n", "x\ny\n")
	assert.Empty(t, got, "equal inputs gave %q", got)
}

func TestUnifiedExact(t *testing.T) {
	old := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n"
	new := "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\nseventeen\n"
	want := `--- old
+++ new
@@ -2,7 +2,7 @@
 2
 3
 4
-5
+five
 6
 7
 8
@@ -14,3 +14,4 @@
 14
 15
 16
+seventeen
`
	got := Unified("old", "new", old, new)
	assert.Equal(t, want, got, "got:\n%s\nwant", got)
}

func TestUnifiedMergesCloseChanges(t *testing.T) {
	old := "a\nb\nc\nd\ne\nf\ng\nh\n"
	new := "A\nb\nc\nd\ne\nf\ng\nH\n"
	want := `--- x
+++ y
@@ -1,8 +1,8 @@
-a
+A
 b
 c
 d
 e
 f
 g
-h
+H
`
	got := Unified("x", "y", old, new)
	assert.Equal(t, want, got, "got:\n%s\nwant", got)
}

func TestUnifiedEmptySides(t *testing.T) {
	want := "--- x\n+++ y\n@@ -0,0 +1,2 @@\n+a\n+b\n"
	got := Unified("x", "y", "", "a\nb\n")
	assert.Equal(t, want, got, "from empty")
	want = "--- x\n+++ y\n@@ -1,2 +0,0 @@\n-a\n-b\n"
	got = Unified("x", "y", "a\nb\n", "")
	assert.Equal(t, want, got, "to empty")
}

func TestUnifiedNoFinalNewline(t *testing.T) {
	want := "--- x\n+++ y\n@@ -1 +1 @@\n-a\n+a\n\\ No newline at end of file\n"
	got := Unified("x", "y", "a\n", "a")
	assert.Equal(t, want, got, "got")
}

var header = regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@$`)

// apply applies a unified diff to old, checking each context and deleted
// line against it.
func apply(t *testing.T, old []string, patch string) []string {
	t.Helper()
	lines := strings.SplitAfter(patch, "\n")
	lines = lines[2 : len(lines)-1] // headers, and the empty tail
	var out []string
	pos := 0 // next unread line of old
	for i := 0; i < len(lines); {
		m := header.FindStringSubmatch(strings.TrimSuffix(lines[i], "\n"))
		require.NotNil(t, m, "bad hunk header %q", lines[i])
		start, _ := strconv.Atoi(m[1])
		n := 1
		if m[2] != "" {
			n, _ = strconv.Atoi(m[2])
		}
		if n == 0 {
			start++ // an empty range names the line before it
		}
		for pos < start-1 {
			out = append(out, old[pos])
			pos++
		}
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], "@@"); i++ {
			body := lines[i][1:]
			switch lines[i][0] {
			case ' ', '-':
				require.Less(t, pos, len(old), "line %d: patch has %q, old has another line", pos+1, body)
				require.Equal(t, body, old[pos], "line %d: patch has %q, old has another line", pos+1, body)
				if lines[i][0] == ' ' {
					out = append(out, body)
				}
				pos++
			case '+':
				out = append(out, body)
			}
		}
	}
	return append(out, old[pos:]...)
}

func lcs(a, b []string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			if a[i] == b[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(prev[j+1], cur[j])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// TestUnifiedRandom checks on random inputs that the diff applies and that
// it is minimal: it changes exactly the lines outside a longest common
// subsequence.
func TestUnifiedRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	gen := func() []string {
		n := r.IntN(40)
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("l%d\n", r.IntN(6))
		}
		return out
	}
	for iter := 0; iter < 2000; iter++ {
		a, b := gen(), gen()
		patch := Unified("a", "b", strings.Join(a, ""), strings.Join(b, ""))
		if strings.Join(a, "") == strings.Join(b, "") {
			continue
		}
		got := apply(t, a, patch)
		require.Equal(t, strings.Join(b, ""), strings.Join(got, ""), "patch does not apply:\na=%q\nb=%q\n%s", a, b, patch)
		changed := 0
		for _, l := range strings.Split(patch, "\n")[2:] {
			if strings.HasPrefix(l, "-") || strings.HasPrefix(l, "+") {
				changed++
			}
		}
		want := len(a) + len(b) - 2*lcs(a, b)
		require.Equal(t, want, changed, "%d changed lines, minimum %d:\n%s", changed, want, patch)
	}
}

// TestUnifiedTooDifferent checks the fallback past maxEdits: a correct,
// if long, diff.
func TestUnifiedTooDifferent(t *testing.T) {
	var a, b []string
	for i := 0; i < maxEdits; i++ {
		a = append(a, fmt.Sprintf("a%d\n", i))
		b = append(b, fmt.Sprintf("b%d\n", i))
	}
	patch := Unified("a", "b", strings.Join(a, ""), strings.Join(b, ""))
	got := apply(t, a, patch)
	require.Equal(t, strings.Join(b, ""), strings.Join(got, ""), "fallback patch does not apply")
}
