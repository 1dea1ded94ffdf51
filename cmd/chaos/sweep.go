package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/internal/quickstart"
)

// The sweep reads every resource in rounds until sweepRounds rounds in a
// row were served by the cache (no SKIP: the first may fill it, the next
// are hits), at most sweepMaxRounds, pausing between rounds while the
// cache recovers from the last phase.
const (
	sweepRounds    = 2
	sweepMaxRounds = 50
	sweepPause     = 200 * time.Millisecond
)

// sweep runs once the clients have stopped and the servers handle
// nothing: it brings Redis back if the last phase left it down or hung
// (and the partial fault's link flowing), then reads every resource
// through every instance and compares each answer, hit or miss, with the
// store itself. With no write left in flight, anything else is an
// entry the writes failed to invalidate. It returns what it did to Redis.
func (r *runner) sweep(ctx context.Context, c *client) (string, error) {
	wait, cancel := context.WithTimeout(ctx, 2*r.cfg.timeout)
	defer cancel()
	for _, in := range r.all() {
		if err := in.quiesce(wait); err != nil {
			return "", err
		}
	}
	action, err := r.enter("up")
	if err != nil {
		return action, err
	}
	r.phase.Store(int32(len(r.cfg.phases)))
	r.sweepAt = time.Now()
	t := c.tallies[len(r.cfg.phases)]
	spaces, items := r.oracle.snapshot()
	for round, clean := 0, 0; clean < sweepRounds && round < sweepMaxRounds; round++ {
		skips := t.xcache["SKIP"]
		for _, in := range r.all() {
			c.pinned = in
			c.sweepSpaces()
			for _, id := range spaces {
				c.sweepSpace(id)
				c.sweepSpaceItems(id)
			}
			for _, ref := range items {
				c.sweepItem(ref)
			}
			for u := range r.cfg.users {
				c.readProfileOf(in, "user-"+strconv.Itoa(u))
			}
		}
		if t.xcache["SKIP"] == skips {
			clean++
			continue
		}
		clean = 0
		select {
		case <-ctx.Done():
			return action, ctx.Err()
		case <-time.After(sweepPause):
		}
	}
	return action, nil
}

// differs reports a sweep read that does not match the store, unless a
// write lost with a crashed instance explains it (covered): such reads
// are counted, per path, as what a crash leaves behind, not violations.
func (c *client) differs(res response, covered func() (time.Time, bool), format string, args ...any) {
	if when, ok := covered(); ok {
		c.r.sweepLost[res.path] = when
		return
	}
	c.r.viol.add(violation{Kind: vSweep, Phase: res.phase, Method: res.method, Path: res.path, Instance: res.via, XCache: res.xcache,
		Detail: fmt.Sprintf(format, args...)})
}

func (c *client) sweepSpace(id string) {
	res, ok := c.send(c.pinned, http.MethodGet, "/spaces/"+id, nil, http.StatusOK)
	if !ok {
		return
	}
	if sp, ok := c.spaceIn(res, id); ok {
		if truth, _ := c.r.store.Space(id); sp != truth {
			c.differs(res, func() (time.Time, bool) { return c.r.oracle.lostCovers(spaceKey(id), "", truth.Version) },
				"got %+v, the store holds %+v", sp, truth)
		}
	}
}

func (c *client) sweepItem(ref itemRef) {
	res, ok := c.send(c.pinned, http.MethodGet, ref.path(), nil, http.StatusOK)
	if !ok {
		return
	}
	if it, ok := c.itemIn(res, ref); ok {
		if truth, _ := c.r.store.SpaceItem(ref.space, ref.item); it != truth {
			c.differs(res, func() (time.Time, bool) { return c.r.oracle.lostCovers(itemKey(ref), "", truth.Version) },
				"got %+v, the store holds %+v", it, truth)
		}
	}
}

func (c *client) sweepSpaceItems(id string) {
	res, ok := c.send(c.pinned, http.MethodGet, "/spaces/"+id+"/items", nil, http.StatusOK)
	if !ok {
		return
	}
	if items, ok := c.itemsIn(res, id); ok {
		if truth, _ := c.r.store.SpaceItems(id); !slices.Equal(items, truth) {
			c.differs(res, func() (time.Time, bool) { return c.r.oracle.lostCovers("", id, 0) },
				"got %d items %v, the store holds %d: %v", len(items), items, len(truth), truth)
		}
	}
}

func (c *client) sweepSpaces() {
	res, ok := c.send(c.pinned, http.MethodGet, "/spaces", nil, http.StatusOK)
	if !ok {
		return
	}
	if spaces, ok := c.spacesIn(res); ok {
		if truth := c.r.store.Spaces(); !slices.Equal(spaces, truth) {
			c.differs(res, func() (time.Time, bool) { return c.lostExplainsSpaces(spaces, truth) },
				"got %v, the store holds %v", spaces, truth)
		}
	}
}

// lostExplainsSpaces reports whether every space the list shows
// differently from the store is covered by a lost write.
func (c *client) lostExplainsSpaces(got, truth []quickstart.Space) (time.Time, bool) {
	shown := make(map[string]quickstart.Space, len(got))
	for _, sp := range got {
		shown[sp.ID] = sp
	}
	var first time.Time
	for _, want := range truth {
		if shown[want.ID] == want {
			continue
		}
		when, ok := c.r.oracle.lostCovers(spaceKey(want.ID), "", want.Version)
		if !ok {
			return time.Time{}, false
		}
		if first.IsZero() || when.Before(first) {
			first = when
		}
	}
	return first, !first.IsZero()
}
