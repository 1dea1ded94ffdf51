package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
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
			c.sweepProfile(u)
		}
	}
	return nil
}

// differs reports a sweep read that does not match the store.
func (c *client) differs(path string, res response, format string, args ...any) {
	c.r.viol.add(violation{Kind: vSweep, Phase: res.phase, Method: http.MethodGet, Path: path, XCache: res.xcache,
		Detail: fmt.Sprintf(format, args...) + fmt.Sprintf(" (at %s)", time.Now().UTC().Format(time.RFC3339Nano))})
}

func (c *client) sweepSpace(id string) {
	path := "/spaces/" + id
	res, ok := c.send(http.MethodGet, path, nil, http.StatusOK)
	if !ok {
		return
	}
	var b spaceBody
	if err := decode(res.body, &b); err != nil || b.Space == nil {
		c.malformed(http.MethodGet, path, res, "want space %s (%v)", id, err)
		return
	}
	if truth, _ := c.r.app.store.Space(id); *b.Space != truth {
		c.differs(path, res, "got %+v, the store holds %+v", *b.Space, truth)
	}
}

func (c *client) sweepItem(ref itemRef) {
	path := "/spaces/" + ref.space + "/items/" + ref.item
	res, ok := c.send(http.MethodGet, path, nil, http.StatusOK)
	if !ok {
		return
	}
	var b itemBody
	if err := decode(res.body, &b); err != nil || b.Item == nil {
		c.malformed(http.MethodGet, path, res, "want item %s of space %s (%v)", ref.item, ref.space, err)
		return
	}
	if truth, _ := c.r.app.store.SpaceItem(ref.space, ref.item); *b.Item != truth {
		c.differs(path, res, "got %+v, the store holds %+v", *b.Item, truth)
	}
}

func (c *client) sweepSpaceItems(id string) {
	path := "/spaces/" + id + "/items"
	res, ok := c.send(http.MethodGet, path, nil, http.StatusOK)
	if !ok {
		return
	}
	var b itemsBody
	if err := decode(res.body, &b); err != nil || b.Items == nil {
		c.malformed(http.MethodGet, path, res, "want the items of space %s (%v)", id, err)
		return
	}
	truth, _ := c.r.app.store.SpaceItems(id)
	if !slices.Equal(*b.Items, truth) {
		c.differs(path, res, "got %d items %v, the store holds %d: %v", len(*b.Items), *b.Items, len(truth), truth)
	}
}

func (c *client) sweepSpaces() {
	const path = "/spaces"
	res, ok := c.send(http.MethodGet, path, nil, http.StatusOK)
	if !ok {
		return
	}
	var b spacesBody
	if err := decode(res.body, &b); err != nil || b.Spaces == nil {
		c.malformed(http.MethodGet, path, res, "want the spaces (%v)", err)
		return
	}
	if truth := c.r.app.store.Spaces(); !slices.Equal(*b.Spaces, truth) {
		c.differs(path, res, "got %v, the store holds %v", *b.Spaces, truth)
	}
}

func (c *client) sweepProfile(u int) {
	user := "user-" + strconv.Itoa(u)
	res, ok := c.send(http.MethodGet, profilePath, nil, http.StatusOK, headerUser, user)
	if !ok {
		return
	}
	var b profileBody
	if err := decode(res.body, &b); err != nil {
		c.malformed(http.MethodGet, profilePath, res, "want a profile (%v)", err)
		return
	}
	if b.UserID != user {
		c.r.viol.add(violation{Kind: vCrossUser, Phase: res.phase, Method: http.MethodGet, Path: profilePath, XCache: res.xcache,
			Detail: fmt.Sprintf("%s asked, got the profile of %q", user, b.UserID)})
	}
}
