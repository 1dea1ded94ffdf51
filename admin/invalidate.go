package admin

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/policy"
)

// invalidate serves POST /invalidate, in one of two forms:
//
//	?path=/spaces/123[&method=PUT]  what a successful write of method
//	                                (default PUT; POST, PATCH, DELETE) to
//	                                that path invalidates
//	?target=/reports/summary        an explicit target, as a write route's
//	?target=/spaces/123/*           Invalidate policy names one: an exact
//	                                path's own responses, or with "/*" a
//	                                whole subtree
//
// A path ending in "/*" is refused: "*" is not special in a write's
// path, and the subtree it suggests is what target= is for.
func (a *api) invalidate(c *gin.Context) {
	q, ok := params(c, "path", "method", "target")
	if !ok {
		return
	}
	path, hasPath := q["path"]
	target, hasTarget := q["target"]
	method, hasMethod := q["method"]
	switch {
	case hasPath && hasTarget:
		fail(c, http.StatusBadRequest, "target", "target: give path (a write's invalidation) or target (an explicit one), not both")
		return
	case hasTarget:
		if hasMethod {
			fail(c, http.StatusBadRequest, "method", "method: applies to path, not to target")
			return
		}
		if err := a.svc.Invalidate(c.Request.Context(), target); err != nil {
			serviceError(c, "target", err)
			return
		}
		respond(c, http.StatusOK, gin.H{"invalidated": true, "target": target})
		return
	case !hasPath:
		fail(c, http.StatusBadRequest, "path", "path: required (or target)")
		return
	}
	if _, subtree := policy.SplitTarget(path); subtree {
		fail(c, http.StatusBadRequest, "path", "path: %q ends in /*, which a write's path does not treat as a wildcard; use target=%s to invalidate the subtree", path, path)
		return
	}
	if !hasMethod {
		method = http.MethodPut
	}
	method = strings.ToUpper(method)
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		fail(c, http.StatusBadRequest, "method", "method: %q is not a write; want POST, PUT, PATCH or DELETE", q["method"])
		return
	}
	if err := a.svc.InvalidateWrite(c.Request.Context(), method, path); err != nil {
		serviceError(c, "path", err)
		return
	}
	respond(c, http.StatusOK, gin.H{"invalidated": true, "path": path, "method": method})
}
