package main

import (
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/gincache"
)

// CachePolicies is the route-to-policy table of this package, written by
// hand to match the //cache: directives until cachegen generates it.
var CachePolicies = gincache.Table{
	{Method: "GET", Path: "/announcements", Handler: "main.(*app).announcements-fm", Policy: gincache.Policy{TTL: 60 * time.Second, Public: true}},
	{Method: "GET", Path: "/notes", Handler: "main.(*app).listNotes-fm", Policy: gincache.Policy{TTL: 300 * time.Second, Vary: []string{"user_id"}}},
	{Method: "GET", Path: "/notes/:id", Handler: "main.(*app).getNote-fm", Policy: gincache.Policy{TTL: 300 * time.Second, Vary: []string{"user_id"}}},
}
