// Command mainpkg: no other package can register a handler of a main
// package, so an unregistered one is reported even when exported.
package main

import "github.com/gin-gonic/gin"

func main() {
	r := gin.New()
	r.GET("/", Home)
}

//cache:ttl=60
func Home(c *gin.Context) {}

// want +2 `Forgotten has a //cache: directive but no route of the loaded packages registers it`
//
//cache:ttl=60
func Forgotten(c *gin.Context) {}
