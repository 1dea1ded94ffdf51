// Cachegen writes the route-to-policy table of gin-intelligent-cache from
// the //cache: directives on Gin handlers.
//
// # Usage
//
// Put the directive in a handler's doc comment, with no space after //:
//
//	//cache:ttl=1h vary=user_id
//	func listItems(c *gin.Context) { ... }
//
// and run cachegen through go generate in the package that registers the
// routes:
//
//	//go:generate go run github.com/intelligentcache/gin-intelligent-cache/cmd/cachegen
//
// It writes cache_policies_gen.go, declaring
//
//	var CachePolicies = gincache.Table{...}
//
// which gincache.New takes. docs/DIRECTIVES.md describes every key.
//
//	cachegen [-output file] [-var name] [-tags tags] [-check | -explain [-format text|mermaid]] [-v] [packages]
//
// Packages are patterns as the go command takes them (default "."). All are
// loaded once; the table collects the annotated routes of all of them and
// is written to -output, whose directory must hold one of the loaded
// packages (by default the current directory's). A handler of another
// package appears in the table by its run-time name, and the generated
// file imports that package to refer to it when it can.
//
// # Flags
//
//	-output file   the generated file (default cache_policies_gen.go)
//	-var name      the table variable (default CachePolicies)
//	-tags tags     build tags, comma-separated
//	-check         write nothing; exit 1 with a unified diff if the file
//	               is missing or stale, 0 if it is current (for CI)
//	-explain       write nothing; print the table and, for every write
//	               route, the cached routes it invalidates and why
//	-format f      with -explain: text (default) or mermaid, a flowchart
//	               for documentation and pull requests
//	-v             print how long loading and analysis took
//
// # What it finds
//
// Routes are found by type, never by name: calls of GET, POST, PUT, PATCH,
// DELETE, HEAD, OPTIONS, Any, Handle and Match on *gin.Engine,
// *gin.RouterGroup, gin.IRoutes and gin.IRouter (or a struct embedding
// one). Group prefixes are followed through chains, variables, struct
// fields, function results and arguments of calls to functions of the
// loaded packages. The handler is the last argument: a function, a method
// value (h.List), a factory call (listItems(db), the directive on the
// factory) or a function literal (the directive on the line above the
// registering statement).
//
// A route whose path cannot be resolved statically gets a warning and is
// emitted with an empty Path: it applies once gincache's
// Cache.CheckRoutes binds it, at startup, to the one route registered
// with its handler's run-time name (a handler registered at several
// routes binds to none). Function literals and the closures factories return have
// no stable run-time name (the compiler names a closure after the function
// it is inlined into), so their routes must have a path cachegen can
// resolve; they are matched by path only.
//
// A GET route behind a middleware marked with gincache.Auth or
// gincache.AuthGate (in its Group call, a Use on its router, or its own
// registration) must name an identity (identity=) or be public: otherwise
// cachegen reports an error.
//
// # Diagnostics and exit codes
//
// Every problem is reported as file:line:col: message, all of them before
// cachegen exits. Warnings and notes do not fail the run. Exit codes: 0
// success, 1 errors in the code or a stale file under -check, 2 bad flags.
package main
