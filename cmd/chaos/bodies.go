package main

import (
	"bytes"
	"encoding/json"

	"github.com/intelligentcache/gin-intelligent-cache/internal/quickstart"
)

// The JSON bodies of the Quick Start API and the per-user route. Decoding
// refuses unknown fields, so a body of another route does not pass for
// the one asked for.
type (
	spaceBody struct {
		Space       *quickstart.Space `json:"space"`
		GeneratedAt string            `json:"generated_at"`
	}
	itemBody struct {
		Item        *quickstart.Item `json:"item"`
		GeneratedAt string           `json:"generated_at"`
	}
	itemsBody struct {
		Items       *[]quickstart.Item `json:"items"`
		Page        int                `json:"page"`
		Limit       int                `json:"limit"`
		Total       int                `json:"total"`
		GeneratedAt string             `json:"generated_at"`
	}
	spacesBody struct {
		Spaces      *[]quickstart.Space `json:"spaces"`
		GeneratedAt string              `json:"generated_at"`
	}
	digestBody struct {
		Spaces      map[string]int `json:"spaces"`
		Items       map[string]int `json:"items"`
		GeneratedAt string         `json:"generated_at"`
	}
	profileBody struct {
		UserID      string `json:"user_id"`
		Secret      string `json:"secret"`
		GeneratedAt string `json:"generated_at"`
	}
)

func decode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// path is the item's URL path.
func (r itemRef) path() string { return "/spaces/" + r.space + "/items/" + r.item }

// The ...In methods decode a response as the resource it must be, and
// report it as malformed (ok false) when it is not.

// spaceIn decodes {"space": ...}, which must be space id.
func (c *client) spaceIn(res response, id string) (quickstart.Space, bool) {
	var b spaceBody
	if err := decode(res.body, &b); err != nil || b.Space == nil || b.Space.ID != id {
		c.malformed(res, "want space %s (%v)", id, err)
		return quickstart.Space{}, false
	}
	return *b.Space, true
}

// itemIn decodes {"item": ...}, which must be the item ref names, or any
// new item of ref.space when ref.item is "".
func (c *client) itemIn(res response, ref itemRef) (quickstart.Item, bool) {
	var b itemBody
	if err := decode(res.body, &b); err != nil || b.Item == nil || b.Item.SpaceID != ref.space || b.Item.ID == "" ||
		ref.item != "" && b.Item.ID != ref.item {
		c.malformed(res, "want item %q of space %s (%v)", ref.item, ref.space, err)
		return quickstart.Item{}, false
	}
	return *b.Item, true
}

// itemsIn decodes {"items": [...]}, the items of space id.
func (c *client) itemsIn(res response, id string) ([]quickstart.Item, bool) {
	var b itemsBody
	if err := decode(res.body, &b); err != nil || b.Items == nil {
		c.malformed(res, "want the items of space %s (%v)", id, err)
		return nil, false
	}
	for _, it := range *b.Items {
		if it.SpaceID != id {
			c.malformed(res, "item %s of space %q in the list of space %s", it.ID, it.SpaceID, id)
			return nil, false
		}
	}
	return *b.Items, true
}

// spacesIn decodes {"spaces": [...]}.
func (c *client) spacesIn(res response) ([]quickstart.Space, bool) {
	var b spacesBody
	if err := decode(res.body, &b); err != nil || b.Spaces == nil {
		c.malformed(res, "want the spaces (%v)", err)
		return nil, false
	}
	return *b.Spaces, true
}

// digestIn decodes the root's {"spaces": {...}, "items": {...}}.
func (c *client) digestIn(res response) (digestBody, bool) {
	var b digestBody
	if err := decode(res.body, &b); err != nil || b.Spaces == nil || b.Items == nil {
		c.malformed(res, "want the digest (%v)", err)
		return digestBody{}, false
	}
	return b, true
}
