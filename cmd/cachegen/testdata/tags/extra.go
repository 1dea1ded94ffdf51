//go:build extra

package tags

import "github.com/gin-gonic/gin"

func mountExtra(r *gin.Engine) {
	r.GET("/extra", extra)
}

//cache:ttl=60
func extra(c *gin.Context) {}
