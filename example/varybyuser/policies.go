package main

import (
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/gincache"
)

// CachePolicies is written by hand to match the //cache: directives until
// cachegen generates it.
var CachePolicies = gincache.Table{
	{Method: "GET", Path: "/user/profile", Handler: "main.profile", Policy: gincache.Policy{TTL: 300 * time.Second, Vary: []string{"user_id"}}},
}
