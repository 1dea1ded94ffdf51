package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// quickStartApp is the Quick Start's application: a cached GET, a write
// that invalidates it, and the go:generate line of the tool directive.
const quickStartApp = `package main

//go:generate go tool cachegen

import (
	"log"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/gincache"
)

// listItems lists items, a page at a time.
//
//cache:ttl=3600 query=page,limit
func listItems(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"items": []string{}}) }

// createItem needs no directive: a successful POST /items clears GET /items.
func createItem(c *gin.Context) { c.Status(http.StatusCreated) }

func main() {
	cache, err := gincache.New(CachePolicies)
	if err != nil {
		log.Fatal(err)
	}
	defer cache.Close()
	r := gin.Default()
	r.Use(cache.Middleware())
	r.GET("/items", listItems)
	r.POST("/items", createItem)
	if err := cache.CheckRoutes(r.Routes()); err != nil {
		log.Fatal(err)
	}
	r.Run()
}
`

// TestQuickStartToolDirective follows the README's Quick Start in a new
// module, as a user would on a fresh machine: require gin-intelligent-cache
// (replaced by this checkout, which is not published), go get -tool
// cachegen, go mod tidy, go generate ./..., go build, and cachegen -check
// through go tool. Only the module proxy is used: no go.sum is copied in.
func TestQuickStartToolDirective(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("downloads and builds a module")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	mod := t.TempDir()
	env := testutil.GoEnv()
	// go get github.com/intelligentcache/gin-intelligent-cache@latest,
	// for a module that is not published yet:
	writeFile(t, filepath.Join(mod, "go.mod"), `module example.com/quickstart

go 1.26

require github.com/intelligentcache/gin-intelligent-cache v0.0.0-00010101000000-000000000000

replace github.com/intelligentcache/gin-intelligent-cache => `+root+"\n")
	writeFile(t, filepath.Join(mod, "main.go"), quickStartApp)

	gocmd := func(args ...string) string {
		t.Helper()
		return testutil.RunGo(t, mod, env, args...)
	}
	testutil.RunGo(t, mod, unpublishedEnv(t, env), "get", "-tool", "github.com/intelligentcache/gin-intelligent-cache/cmd/cachegen")
	gocmd("mod", "tidy")
	gomod := readFile(t, filepath.Join(mod, "go.mod"))
	assert.Contains(t, gomod, "\ntool github.com/intelligentcache/gin-intelligent-cache/cmd/cachegen\n", "tidy keeps the tool")

	gocmd("generate", "./...")
	gen := readFile(t, filepath.Join(mod, "cache_policies_gen.go"))
	assert.Contains(t, gen, `{Method: "GET", Path: "/items", Handler: "main.listItems", Policy: gincache.Policy{TTL: time.Hour, Query: []string{"page", "limit"}}},`)

	gocmd("build", "-o", filepath.Join(t.TempDir(), "app"), ".")
	assert.Empty(t, gocmd("tool", "cachegen", "-check", "./..."))
	_, err = os.Stat(filepath.Join(mod, "go.sum"))
	assert.NoError(t, err)
}

// unpublishedEnv is env for a go get of a package of this module, which is
// not published: go get asks the proxy whether .../cmd/cachegen is a
// module of its own, and a proxy that refuses to say (with 403, where
// proxy.golang.org would answer 404) stops it. An empty file proxy tried
// after each of the environment's proxies answers "not found".
func unpublishedEnv(t *testing.T, env []string) []string {
	out, err := exec.Command("go", "env", "GOPROXY").Output()
	require.NoError(t, err)
	var list []string
	for _, p := range strings.FieldsFunc(strings.TrimSpace(string(out)), func(r rune) bool { return r == ',' || r == '|' }) {
		if p != "direct" && p != "off" {
			list = append(list, p)
		}
	}
	list = append(list, "file://"+filepath.ToSlash(t.TempDir()))
	return append(env[:len(env):len(env)], "GOPROXY="+strings.Join(list, "|"))
}
