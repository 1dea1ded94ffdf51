package gincache_test

import (
	stdcontext "context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/gincache"
)

// The table cachegen generates from //cache: directives, written by hand.
var policies = gincache.Table{
	{Method: "GET", Path: "/spaces/:space_id", Policy: gincache.Policy{TTL: time.Hour}},
}

func get(r http.Handler, method, path string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(method, path, nil))
	return w
}

func Example() {
	gin.SetMode(gin.ReleaseMode)
	cache, err := gincache.New(policies)
	if err != nil {
		panic(err)
	}
	defer cache.Close()

	version := 1
	r := gin.New()
	r.Use(cache.Middleware())
	r.GET("/spaces/:space_id", func(c *gin.Context) { c.String(200, "space v%d", version) })
	r.PUT("/spaces/:space_id", func(c *gin.Context) { version++; c.Status(204) })

	for _, step := range []struct{ method, path string }{
		{"GET", "/spaces/1"}, {"GET", "/spaces/1"}, {"PUT", "/spaces/1"}, {"GET", "/spaces/1"},
	} {
		w := get(r, step.method, step.path)
		if step.method == "PUT" {
			fmt.Printf("%s %s: %d (no X-Cache on writes)\n", step.method, step.path, w.Code)
			continue
		}
		fmt.Printf("%s %s: %d %s %s\n", step.method, step.path, w.Code, w.Header().Get("X-Cache"), w.Body.String())
	}
	// Output:
	// GET /spaces/1: 200 MISS space v1
	// GET /spaces/1: 200 HIT space v1
	// PUT /spaces/1: 204 (no X-Cache on writes)
	// GET /spaces/1: 200 MISS space v2
}

func ExampleService_Invalidate() {
	gin.SetMode(gin.ReleaseMode)
	cache, _ := gincache.New(policies)
	defer cache.Close()
	r := gin.New()
	r.Use(cache.Middleware())
	r.GET("/spaces/:space_id", func(c *gin.Context) { c.String(200, "space") })

	get(r, "GET", "/spaces/1")
	fmt.Println(get(r, "GET", "/spaces/1").Header().Get("X-Cache"))
	// What a write handler's policy would do with invalidate=/spaces/1/*.
	if err := cache.Service().Invalidate(context(), "/spaces/1/*"); err != nil {
		panic(err)
	}
	fmt.Println(get(r, "GET", "/spaces/1").Header().Get("X-Cache"))
	// Output:
	// HIT
	// MISS
}

func ExampleCache_CheckRoutes() {
	cache, _ := gincache.New(gincache.Table{
		{Method: "GET", Path: "/items", Policy: gincache.Policy{TTL: time.Minute}},
	})
	defer cache.Close()
	r := gin.New()
	r.GET("/products", func(c *gin.Context) {}) // /items was renamed, the table was not regenerated
	fmt.Println(cache.CheckRoutes(r.Routes()))
	// Output:
	// gincache: the policy table does not match the routes: policy for GET /items: no such route is registered
}

func ExampleFromContext() {
	gin.SetMode(gin.ReleaseMode)
	cache, _ := gincache.New(nil)
	defer cache.Close()
	r := gin.New()
	r.Use(cache.Middleware())
	// A write handler warming an entry through the service.
	r.POST("/warm", func(c *gin.Context) {
		svc := gincache.FromContext(c)
		if err := svc.Set(c.Request.Context(), "greeting", []byte("hello"), time.Minute); err != nil {
			c.Status(500)
			return
		}
		body, _ := svc.Get(c.Request.Context(), "greeting")
		c.String(200, "%s", body)
	})
	fmt.Println(get(r, "POST", "/warm").Body.String())
	// Output:
	// hello
}

func context() stdcontext.Context { return stdcontext.Background() }

// Auth marks the authentication middleware; identity=user_id (here
// Policy.Identity) keys the route by the user it sets, so requests
// carrying credentials are cached per user.
func ExampleAuth() {
	gin.SetMode(gin.ReleaseMode)
	cache, _ := gincache.New(gincache.Table{
		{Method: "GET", Path: "/me", Policy: gincache.Policy{TTL: time.Minute, Identity: []string{"user_id"}}},
	})
	defer cache.Close()
	auth := func(c *gin.Context) {
		user := c.GetHeader("Authorization")
		if user == "" {
			c.AbortWithStatus(http.StatusUnauthorized)
			return
		}
		c.Set("user_id", user)
	}
	r := gin.New()
	api := r.Group("/", gincache.Auth(auth), cache.Middleware())
	api.GET("/me", func(c *gin.Context) { c.String(200, "page of %s", c.GetString("user_id")) })

	for _, user := range []string{"alice", "alice", "bob", ""} {
		req := httptest.NewRequest("GET", "/me", nil)
		if user != "" {
			req.Header.Set("Authorization", user)
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		fmt.Printf("%q: %d %s %s\n", user, w.Code, w.Header().Get("X-Cache"), w.Body.String())
	}
	// Output:
	// "alice": 200 MISS page of alice
	// "alice": 200 HIT page of alice
	// "bob": 200 MISS page of bob
	// "": 401
}

// On Redis, a write's response waits until its invalidation has landed, so
// that no other instance can contradict its 2xx: each attempt gets the
// write budget, and the write waits for the retries up to the
// invalidation wait. A wait that is not a positive duration is refused.
func ExampleWithInvalidationWait() {
	b, err := redis.New("redis://localhost:6379/0", redis.Options{KeyPrefix: "myapp"})
	if err != nil {
		panic(err)
	}
	defer b.Close() // it connects lazily: no Redis is needed to build it
	cache, err := gincache.New(policies,
		gincache.WithBackend(b),
		gincache.WithWriteBudget(200*time.Millisecond), // one attempt
		gincache.WithInvalidationWait(2*time.Second),   // the longest a write waits
	)
	if err != nil {
		panic(err)
	}
	defer cache.Close()

	_, err = gincache.New(policies, gincache.WithInvalidationWait(0))
	fmt.Println(err)
	// Output: gincache: WithInvalidationWait: 0s is not a positive duration
}
