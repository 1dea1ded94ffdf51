// Package cachedirectives is a go/analysis Analyzer for the //cache:
// directives of gin-intelligent-cache, so that go vet, editors and
// linters report directive mistakes where they are written, without
// waiting for go generate.
//
// # What it reports
//
// The analyzer runs cachegen's own checks (one implementation, shared
// with cmd/cachegen) on each package, at file:line:col:
//
//   - a malformed directive, an unknown key (with a did-you-mean), a value
//     out of range (ttl=0, ttl=500us, a ttl too large), a duplicate key;
//   - a directive that gofmt would turn into a plain comment (// cache:);
//   - a key on the wrong kind of route: vary, ttl, public, query or stale
//     on a write route, invalidate or off on a GET;
//   - a directive on a function that is no handler, or on a handler that no
//     route registers (when no other package can register it: it is
//     unexported, or in a main package);
//   - a generated table (cache_policies_gen.go) that go generate has not
//     refreshed since a directive changed: a route whose handler's
//     directive now gives another policy, or a route registered in the
//     package that the table lacks.
//
// A misspelt key and a directive gofmt left as a plain comment
// ("// cache:ttl=60") come with a suggested fix.
//
// A pass sees one package. What depends on the routes of other packages
// (the group prefix main gives a route, whether an invalidate= target
// names a route) is left to cachegen, which loads them all:
// cachegen -check ./... in CI.
//
// # Running it
//
// As a go vet tool:
//
//	go install github.com/intelligentcache/gin-intelligent-cache/cmd/cachevet@latest
//	go vet -vettool=$(go env GOPATH)/bin/cachevet ./...
//
// or standalone (cachevet ./...). docs/DIRECTIVES.md shows how gopls-based
// editors and golangci-lint (as a module plugin) host it.
package cachedirectives
