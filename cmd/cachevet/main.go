// Command cachevet reports mistakes in the //cache: directives of
// gin-intelligent-cache and stale generated tables, with the analyzer of
// package cachedirectives. Run it as a go vet tool:
//
//	go vet -vettool=$(go env GOPATH)/bin/cachevet ./...
//
// or standalone, with the flags of any go/analysis checker:
//
//	cachevet ./...
//
// docs/DIRECTIVES.md shows how editors and golangci-lint host the
// analyzer.
package main

import (
	"golang.org/x/tools/go/analysis/singlechecker"

	"github.com/intelligentcache/gin-intelligent-cache/cmd/cachegen/cachedirectives"
)

func main() { singlechecker.Main(cachedirectives.Analyzer) }
