package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// TestVetTool builds cachevet and runs it as go vet -vettool on a module
// that uses the real Gin, and standalone: both report a bad directive at
// file:line:col, and nothing on a correct package.
func TestVetTool(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary and a module")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	env := testutil.GoEnv()
	bin := filepath.Join(t.TempDir(), "cachevet")
	testutil.RunGo(t, ".", env, "build", "-o", bin, ".")

	mod := t.TempDir()
	write(t, mod, "go.mod", "module example.com/vetted\n\ngo 1.26\n\nrequire github.com/gin-gonic/gin v1.12.0\n")
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	write(t, mod, "go.sum", string(sum))
	write(t, mod, "api/api.go", `// Package api has a misspelt directive.
package api

import "github.com/gin-gonic/gin"

// Register mounts the routes.
func Register(r *gin.Engine) {
	r.GET("/items", list)
	r.PUT("/items/:id", update)
}

//cache:tll=60
func list(c *gin.Context) {}

//cache:vary=user_id
func update(c *gin.Context) {}
`)
	write(t, mod, "fine/fine.go", `// Package fine has correct directives.
package fine

import "github.com/gin-gonic/gin"

// Register mounts the routes.
func Register(r *gin.Engine) { r.GET("/ok", ok) }

//cache:ttl=60
func ok(c *gin.Context) {}
`)
	testutil.RunGo(t, mod, env, "mod", "tidy")

	for _, args := range [][]string{
		{"go", "vet", "-vettool=" + bin, "./..."},
		{bin, "./..."},
	} {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir, cmd.Env = mod, env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		assert.Error(t, err, "%v: a bad directive must fail the run", args)
		out := stderr.String()
		assert.Contains(t, out, "api/api.go:12:9: unknown key \"tll\": did you mean ttl?", "%v", args)
		assert.Contains(t, out, "api/api.go:15:9: vary applies to GET routes only, but update is registered for PUT /items/:id at api.go:9:2", "%v", args)
		assert.NotContains(t, out, "fine", "%v", args)
	}
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o777))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o666))
}
