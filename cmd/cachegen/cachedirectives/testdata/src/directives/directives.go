// Package directives holds every kind of directive mistake the analyzer
// reports in one package.
package directives

import "github.com/gin-gonic/gin"

func New() *gin.Engine {
	r := gin.New()
	r.GET("/items", list)
	r.GET("/typo", typo)
	r.GET("/huge", huge)
	r.GET("/tiny", tiny)
	r.GET("/empty", empty)
	r.GET("/spaced", spaced)
	r.PUT("/items/:id", update)
	r.POST("/items", create)
	return r
}

//cache:ttl=60
func list(c *gin.Context) {}

// want +2 `unknown key "tll": did you mean ttl\?`
//
//cache:tll=60
func typo(c *gin.Context) {}

// want +2 `ttl=99999999999999999999 is too large`
//
//cache:ttl=99999999999999999999
func huge(c *gin.Context) {}

// want +2 `ttl=500us is below 1ms, the smallest duration the backends keep`
//
//cache:ttl=500us
func tiny(c *gin.Context) {}

// want +2 `ttl needs a value: whole seconds`
//
//cache:ttl=
func empty(c *gin.Context) {}

// want +1 `"// cache:ttl=60" is not a directive and is ignored`
// cache:ttl=60
func spaced(c *gin.Context) {}

// want +2 `vary applies to GET routes only, but update is registered for PUT /items/:id at directives.go:15:2`
//
//cache:invalidate=/items vary=user_id
func update(c *gin.Context) {}

// create names a target no route has: the analyzer, which does not see
// the routes of other packages, says nothing (cachegen does).
//
//cache:invalidate=/reports/summary
func create(c *gin.Context) {}

// want +2 `orphan has a //cache: directive but no route of the loaded packages registers it`
//
//cache:ttl=60
func orphan(c *gin.Context) {}

// Exported may be registered by another package: nothing to say.
//
//cache:ttl=60
func Exported(c *gin.Context) {}

// want +2 `//cache: directive on helper, which is neither a handler`
//
//cache:ttl=60
func helper() {}
