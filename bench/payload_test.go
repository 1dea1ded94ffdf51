package bench

import (
	"encoding/json"
	"fmt"
	"strings"
)

// size is one payload size of the comparisons.
type size struct {
	name string
	n    int
}

var sizes = []size{{"1KiB", 1 << 10}, {"16KiB", 16 << 10}, {"256KiB", 256 << 10}}

// docItem is one element of the documents the handlers serve.
type docItem struct {
	ID      int      `json:"id"`
	Name    string   `json:"name"`
	Tags    []string `json:"tags"`
	Price   float64  `json:"price"`
	InStock bool     `json:"in_stock"`
}

// document is a JSON document of items whose encoding is exactly n bytes
// (the padding field takes up the difference), so that a miss's handler
// does the real work of encoding a payload of the size, and a hit's body
// is that same document.
type document struct {
	Items []docItem `json:"items"`
	Pad   string    `json:"pad"`
}

// newDocument builds the document of n bytes (n >= 64), adding items
// while they fit: each adds its own encoding and a comma.
func newDocument(n int) *document {
	d := &document{Items: []docItem{}}
	length := encodedLen(d)
	for i := 0; ; i++ {
		it := docItem{ID: i, Name: fmt.Sprintf("item number %d", i), Tags: []string{"alpha", "beta", "gamma"}, Price: float64(i) * 1.25, InStock: i%2 == 0}
		out, err := json.Marshal(it)
		if err != nil {
			panic(err)
		}
		grow := len(out)
		if i > 0 {
			grow++
		}
		if length+grow > n {
			break
		}
		d.Items = append(d.Items, it)
		length += grow
	}
	d.Pad = strings.Repeat("p", n-length)
	if got := encodedLen(d); got != n {
		panic(fmt.Sprintf("document of %d bytes, want %d", got, n))
	}
	return d
}

func encodedLen(d *document) int {
	out, err := json.Marshal(d)
	if err != nil {
		panic(err)
	}
	return len(out)
}

// body is the document's encoding: what every handler's response holds.
func (d *document) body() []byte {
	out, err := json.Marshal(d)
	if err != nil {
		panic(err)
	}
	return out
}

// cycleLen is how many distinct URLs a miss benchmark goes through
// before it clears the cache off the clock: up to 32 MiB of responses, so
// the memory backend's default 64 MiB holds them all and nothing is
// evicted during a cycle.
func cycleLen(sz size) int {
	return min(4096, max(64, (32<<20)/sz.n))
}
