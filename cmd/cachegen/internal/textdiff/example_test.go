package textdiff_test

import (
	"fmt"

	"github.com/intelligentcache/gin-intelligent-cache/cmd/cachegen/internal/textdiff"
)

func ExampleUnified() {
	old := "package app\nvar TTL = 60\nvar Vary = 1\n"
	new := "package app\nvar TTL = 3600\nvar Vary = 1\n"
	fmt.Print(textdiff.Unified("policies.go (on disk)", "policies.go (generated)", old, new))
	// Output:
	// --- policies.go (on disk)
	// +++ policies.go (generated)
	// @@ -1,3 +1,3 @@
	//  package app
	// -var TTL = 60
	// +var TTL = 3600
	//  var Vary = 1
}
