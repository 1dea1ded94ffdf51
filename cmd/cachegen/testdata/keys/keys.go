// Package keys uses every directive key.
package keys

import "github.com/gin-gonic/gin"

// Register mounts the routes.
func Register(r *gin.Engine) {
	r.GET("/seconds", ttlSeconds)
	r.GET("/duration", ttlDuration)
	r.GET("/default", ttlDefault)
	r.GET("/varied", varied)
	r.GET("/public", public)
	r.GET("/query", someQuery)
	r.GET("/noquery", noQuery)
	r.GET("/lines", twoLines)
	r.PUT("/spaces/:space_id/items/:id", update)
	r.POST("/spaces/:space_id/import", importer)
	r.PATCH("/quiet", quiet)
	r.GET("/reports/summary", uncached)
	r.GET("/spaces/:space_id/stats/daily", uncached)
}

//cache:ttl=3600
func ttlSeconds(c *gin.Context) {}

//cache:ttl=1h30m stale=30
func ttlDuration(c *gin.Context) {}

//cache:ttl=default stale=5m
func ttlDefault(c *gin.Context) {}

//cache:ttl=60 vary=user_id,header:X-Tenant,cookie:lang
func varied(c *gin.Context) {}

//cache:ttl=60 public
func public(c *gin.Context) {}

//cache:ttl=60 query=page,limit,filter[status]
func someQuery(c *gin.Context) {}

//cache:ttl=60 query=
func noQuery(c *gin.Context) {}

// twoLines spreads its directive over two lines.
//
//cache:ttl=250ms
//cache:vary=user_id public
func twoLines(c *gin.Context) {}

//cache:invalidate=/reports/summary,/spaces/:space_id/stats/*
func update(c *gin.Context) {}

//cache:off invalidate=/spaces/:space_id/*
func importer(c *gin.Context) {}

//cache:off
func quiet(c *gin.Context) {}

func uncached(c *gin.Context) {}
