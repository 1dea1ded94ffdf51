package gincache

import (
	"errors"
	"fmt"

	"github.com/gin-gonic/gin"
)

// CheckRoutes compares the policy table with the routes an engine has
// registered (engine.Routes()) and reports drift: a table entry whose
// route is not registered, and a registered route whose handler carries a
// policy under another path (the handler moved and the table was not
// regenerated). Call it at startup and log or fail on the error:
//
//	if err := cache.CheckRoutes(r.Routes()); err != nil {
//		log.Fatal(err)
//	}
func (c *Cache) CheckRoutes(routes gin.RoutesInfo) error {
	type mp struct{ method, path string }
	registered := make(map[mp]bool, len(routes))
	byHandler := make(map[string][]gin.RouteInfo)
	for _, r := range routes {
		registered[mp{r.Method, r.Path}] = true
		byHandler[r.Handler] = append(byHandler[r.Handler], r)
	}
	inTable := make(map[mp]bool, len(c.table))
	for _, r := range c.table {
		if r.Path != "" {
			inTable[mp{r.Method, r.Path}] = true
		}
	}
	var errs []error
	for _, r := range c.table {
		if r.Path != "" && !registered[mp{r.Method, r.Path}] {
			errs = append(errs, fmt.Errorf("policy for %s %s: no such route is registered", r.Method, r.Path))
		}
		if r.Handler == "" {
			continue
		}
		found := false
		for _, reg := range byHandler[r.Handler] {
			if reg.Method != r.Method {
				continue
			}
			found = true
			if reg.Path != r.Path && !inTable[mp{reg.Method, reg.Path}] {
				if r.Path == "" {
					continue // matched by handler name on purpose
				}
				errs = append(errs, fmt.Errorf("handler %s carries a policy for %s %s but is registered at %s %s", r.Handler, r.Method, r.Path, reg.Method, reg.Path))
			}
		}
		if !found && r.Path == "" {
			errs = append(errs, fmt.Errorf("policy for handler %s (%s): no route with that handler is registered", r.Handler, r.Method))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("gincache: the policy table does not match the routes: %w", errors.Join(errs...))
	}
	return nil
}
