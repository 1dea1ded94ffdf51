// Command auth shows the two protections a cached application needs:
//
//   - the admin API and dashboard behind a bearer token read from
//     ADMIN_TOKEN (the server refuses to start without one), in place of
//     the loopback-only default;
//   - the user routes behind an auth middleware that sets user_id, with
//     the cache after it, so that a HIT is served only once auth has run,
//     and per-user responses are cached per user (identity=user_id).
//
// Run it:
//
//	ADMIN_TOKEN=$(openssl rand -hex 32) go run ./example/auth   # listens on :8080, or $ADDR
package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/admin"
	"github.com/intelligentcache/gin-intelligent-cache/gincache"
	"github.com/intelligentcache/gin-intelligent-cache/internal/exampleserver"
)

//go:generate go tool cachegen

// minTokenLen is the shortest ADMIN_TOKEN accepted: 16 random bytes in
// hex.
const minTokenLen = 32

// demoUsers stands in for a real token check.
var demoUsers = map[string]string{
	"alice-token": "alice",
	"bob-token":   "bob",
}

// userAuth sets user_id from the bearer token, or answers 401. It runs
// before the cache middleware.
func userAuth(c *gin.Context) {
	token, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	user, known := demoUsers[token]
	if !ok || !known {
		c.Header("WWW-Authenticate", `Bearer realm="notes"`)
		c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "send Authorization: Bearer alice-token or bob-token"})
		return
	}
	c.Set("user_id", user)
}

// adminAuth accepts requests bearing the admin token. Both sides are
// hashed first, so the comparison takes the same time whatever the
// length or content of the guess.
func adminAuth(token string) gin.HandlerFunc {
	want := sha256.Sum256([]byte(token))
	return func(c *gin.Context) {
		got, _ := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(got))
		if subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			c.Header("WWW-Authenticate", `Bearer realm="cache admin"`)
			c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "admin token required"})
		}
	}
}

// newEngine builds the application; adminToken guards the admin routes.
func newEngine(adminToken string) (*gin.Engine, *gincache.Cache, error) {
	if adminToken == "" {
		return nil, nil, errors.New("ADMIN_TOKEN is not set: the admin routes need a token (try ADMIN_TOKEN=$(openssl rand -hex 32))")
	}
	if len(adminToken) < minTokenLen {
		return nil, nil, fmt.Errorf("ADMIN_TOKEN is %d characters; use at least %d (try ADMIN_TOKEN=$(openssl rand -hex 32))", len(adminToken), minTokenLen)
	}
	cache, err := gincache.New(CachePolicies)
	if err != nil {
		return nil, nil, err
	}
	r := gin.New()
	r.Use(gin.Logger(), gin.Recovery())

	// Admin: the token replaces the loopback-only default, so the
	// dashboard can be reached from an operator's machine.
	if _, err := admin.Mount(r, cache, admin.WithAuth(adminAuth(adminToken))); err != nil {
		cache.Close()
		return nil, nil, err
	}

	// Users: auth first, then the cache. The other order would let a HIT
	// answer before auth ran.
	a := &app{notes: newNoteStore()}
	user := r.Group("/", gincache.Auth(userAuth), cache.Middleware())
	user.GET("/notes", a.listNotes)
	user.POST("/notes", a.createNote)
	user.GET("/notes/:id", a.getNote)
	user.DELETE("/notes/:id", a.deleteNote)
	user.GET("/announcements", a.announcements)

	if err := cache.CheckRoutes(r.Routes()); err != nil {
		cache.Close()
		return nil, nil, err
	}
	return r, cache, nil
}

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = ":8080"
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, addr, os.Getenv("ADMIN_TOKEN"), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, addr, adminToken string, out io.Writer) error {
	r, cache, err := newEngine(adminToken)
	if err != nil {
		return err
	}
	defer cache.Close()
	return exampleserver.Run(ctx, addr, r, func(base string) {
		fmt.Fprintf(out, `gin-intelligent-cache auth example on %s

Users (auth runs before the cache):
  curl -i %[2]s/notes                                        # 401, even once cached
  curl -i -H 'Authorization: Bearer alice-token' %[2]s/notes # MISS, then HIT
  curl -i -H 'Authorization: Bearer bob-token'   %[2]s/notes # bob's own entry
  curl -i -H 'Authorization: Bearer alice-token' -X POST %[2]s/notes -d '{"text":"milk"}'

Admin (bearer token from ADMIN_TOKEN):
  curl -i %[2]s/api/cache/stats                              # 401
  curl -s -H "Authorization: Bearer $ADMIN_TOKEN" %[2]s/api/cache/stats
  curl -s -H "Authorization: Bearer $ADMIN_TOKEN" '%[2]s/api/cache/keys?pattern=*user_id=alice*'
`, addr, base)
	})
}
