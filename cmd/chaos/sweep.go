package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
)

// sweepRounds is how often the sweep reads each resource: the first read
// may fill the cache, the next ones are then hits, and both must match.
const sweepRounds = 2

// sweep reads every resource once the clients have stopped and the
// server handles nothing, and compares each answer, hit or miss, with the
// store itself: with no write left in flight, anything else is an entry
// the writes failed to invalidate.
func (r *runner) sweep(ctx context.Context, c *client) error {
	wait, cancel := context.WithTimeout(ctx, 2*r.cfg.timeout)
	defer cancel()
	if err := r.app.quiesce(wait); err != nil {
		return err
	}
	r.phase.Store(int32(len(r.cfg.phases)))
	spaces, items := r.oracle.snapshot()
	for range sweepRounds {
		if err := ctx.Err(); err != nil {
			return err
		}
		c.sweepSpaces()
		for _, id := range spaces {
			c.sweepSpace(id)
			c.sweepSpaceItems(id)
		}
		for _, ref := range items {
			c.sweepItem(ref)
		}
		for u := range r.cfg.users {
			c.readProfileOf("user-" + strconv.Itoa(u))
		}
	}
	return nil
}

// differs reports a sweep read that does not match the store.
func (c *client) differs(res response, format string, args ...any) {
	c.r.viol.add(violation{Kind: vSweep, Phase: res.phase, Method: res.method, Path: res.path, XCache: res.xcache,
		Detail: fmt.Sprintf(format, args...)})
}

func (c *client) sweepSpace(id string) {
	res, ok := c.send(http.MethodGet, "/spaces/"+id, nil, http.StatusOK)
	if !ok {
		return
	}
	if sp, ok := c.spaceIn(res, id); ok {
		if truth, _ := c.r.app.store.Space(id); sp != truth {
			c.differs(res, "got %+v, the store holds %+v", sp, truth)
		}
	}
}

func (c *client) sweepItem(ref itemRef) {
	res, ok := c.send(http.MethodGet, ref.path(), nil, http.StatusOK)
	if !ok {
		return
	}
	if it, ok := c.itemIn(res, ref); ok {
		if truth, _ := c.r.app.store.SpaceItem(ref.space, ref.item); it != truth {
			c.differs(res, "got %+v, the store holds %+v", it, truth)
		}
	}
}

func (c *client) sweepSpaceItems(id string) {
	res, ok := c.send(http.MethodGet, "/spaces/"+id+"/items", nil, http.StatusOK)
	if !ok {
		return
	}
	if items, ok := c.itemsIn(res, id); ok {
		if truth, _ := c.r.app.store.SpaceItems(id); !slices.Equal(items, truth) {
			c.differs(res, "got %d items %v, the store holds %d: %v", len(items), items, len(truth), truth)
		}
	}
}

func (c *client) sweepSpaces() {
	res, ok := c.send(http.MethodGet, "/spaces", nil, http.StatusOK)
	if !ok {
		return
	}
	if spaces, ok := c.spacesIn(res); ok {
		if truth := c.r.app.store.Spaces(); !slices.Equal(spaces, truth) {
			c.differs(res, "got %v, the store holds %v", spaces, truth)
		}
	}
}
