package admin

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// clear serves POST /clear (every entry under the cache's prefix) and
// POST /clear?pattern=glob (those whose relative key matches). An empty
// pattern is refused rather than read as "everything": a script that
// builds the query from an empty variable must not wipe the cache.
func (a *api) clear(c *gin.Context) {
	q, ok := params(c, "pattern")
	if !ok {
		return
	}
	pattern, given := q["pattern"]
	if given && pattern == "" {
		fail(c, http.StatusBadRequest, "pattern", "pattern: empty; to clear every entry, POST /clear without a pattern")
		return
	}
	if !given {
		pattern = "*"
	}
	n, err := a.svc.ClearPattern(c.Request.Context(), pattern)
	if err != nil {
		serviceError(c, "pattern", err)
		return
	}
	respond(c, http.StatusOK, gin.H{"cleared": n})
}
