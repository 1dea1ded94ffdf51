package directive_test

import (
	"fmt"

	"github.com/intelligentcache/gin-intelligent-cache/cmd/cachegen/internal/directive"
)

func ExampleParse() {
	d, errs := directive.Parse([]directive.Comment{
		{Text: "// listItems lists the items.", Pos: 1},
		{Text: "//cache:ttl=1h30m vary=user_id,header:X-Tenant query=", Pos: 40},
	})
	fmt.Println(d.TTL, d.Vary, d.Query != nil && len(d.Query) == 0, len(errs))

	_, errs = directive.Parse([]directive.Comment{{Text: "//cache:tll=60 public=yes", Pos: 1}})
	for _, e := range errs {
		fmt.Printf("column %d: %s\n", e.Pos, e.Msg)
	}
	// Output:
	// 1h30m0s [user_id header:X-Tenant] true 0
	// column 9: unknown key "tll": did you mean ttl?
	// column 16: public takes no value (write public alone)
}
