package admin

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
)

// errorBody is the JSON of every error the admin routes answer.
type errorBody struct {
	Error string `json:"error"`
	// Param names the query parameter or path part at fault, when one is.
	Param string `json:"param,omitempty"`
}

// commonHeaders runs first on every admin route: whatever answers (a
// route, the loopback rule, the user's auth), the answer is neither
// sniffed into another type by a browser nor kept by a cache on the way.
func commonHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	c.Next()
}

// respond writes v as JSON (application/json; charset=utf-8).
func respond(c *gin.Context, status int, v any) {
	c.JSON(status, v)
}

// fail is the one way the admin routes answer an error: a JSON body
// naming the parameter at fault (param may be empty), and the chain
// stops.
func fail(c *gin.Context, status int, param, format string, args ...any) {
	c.AbortWithStatusJSON(status, errorBody{Error: fmt.Sprintf(format, args...), Param: param})
}

// params parses the query string strictly and returns the value of each
// allowed parameter that is present. Gin's c.Query drops malformed pairs
// and unknown names without a word, so "/clear?patern=x" or
// "/clear?pattern=%zz" would clear everything; here they are a 400, as a
// parameter given twice is.
func params(c *gin.Context, allowed ...string) (map[string]string, bool) {
	values, err := url.ParseQuery(c.Request.URL.RawQuery)
	if err != nil {
		fail(c, http.StatusBadRequest, "query", "query: malformed: %v", err)
		return nil, false
	}
	got := make(map[string]string, len(values))
	for _, name := range slices.Sorted(maps.Keys(values)) {
		vs := values[name]
		if !slices.Contains(allowed, name) {
			want := "none"
			if len(allowed) > 0 {
				want = strings.Join(allowed, ", ")
			}
			if name == "" {
				// "?=1": there is no name to blame.
				fail(c, http.StatusBadRequest, "query", "query: a parameter without a name (this route takes: %s)", want)
				return nil, false
			}
			fail(c, http.StatusBadRequest, name, "%s: unknown parameter (this route takes: %s)", name, want)
			return nil, false
		}
		if len(vs) > 1 {
			fail(c, http.StatusBadRequest, name, "%s: given %d times, want at most once", name, len(vs))
			return nil, false
		}
		got[name] = vs[0]
	}
	return got, true
}
