package generator

import (
	"bytes"
	"cmp"
	"fmt"
	"go/types"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/policy"
)

// render writes the generated file: the table, sorted, one route a line,
// and the func _() block of references. The output is byte-for-byte
// deterministic and already in gofmt's form (the tests check that
// go/format leaves every generated file unchanged): formatting it again
// would cost most of a run's own time on large tables.
func render(out *types.Package, varName string, table policy.Table, refs []ref, gathered bool) ([]byte, error) {
	// Aliases: the package name, unless something in the package or an
	// earlier import already uses it.
	taken := map[string]bool{varName: true, "_": true}
	alias := func(name string) string {
		cand := name
		for i := 2; taken[cand] || out.Scope().Lookup(cand) != nil; i++ {
			cand = name + strconv.Itoa(i)
		}
		taken[cand] = true
		return cand
	}
	tm := ""
	if needsTime(table) {
		tm = alias("time")
	}
	gc := alias("gincache")
	slices.SortFunc(refs, func(x, y ref) int {
		return cmp.Or(cmp.Compare(x.path, y.path), cmp.Compare(x.expr, y.expr))
	})
	imps := []importSpec{{gincachePath, "gincache", gc}}
	aliasOf := make(map[string]string)
	for _, r := range refs {
		if r.path != "" && aliasOf[r.path] == "" {
			aliasOf[r.path] = alias(r.name)
			imps = append(imps, importSpec{r.path, r.name, aliasOf[r.path]})
		}
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n\npackage %s\n\nimport (\n", Header, out.Name())
	if tm != "" {
		importSpec{"time", "time", tm}.write(&b)
		b.WriteString("\n")
	}
	slices.SortFunc(imps, func(x, y importSpec) int { return cmp.Compare(x.path, y.path) })
	for _, i := range imps {
		i.write(&b)
	}
	fmt.Fprintf(&b, ")\n\n")
	fmt.Fprintf(&b, "// %s holds the cache policy of every annotated route, built by cachegen\n", varName)
	fmt.Fprintf(&b, "// from the //cache: directives of the handlers. Pass it to gincache.New.\n")
	fmt.Fprintf(&b, "// A GET route without TTL uses the cache's default TTL.\n")
	if gathered {
		fmt.Fprintf(&b, "%s\n", gatheredNote)
	}
	fmt.Fprintf(&b, "var %s = %s.Table{", varName, gc)
	if len(table) > 0 {
		b.WriteString("\n")
	}
	for _, r := range table {
		fmt.Fprintf(&b, "\t{Method: %s", strconv.Quote(r.Method))
		if r.Path != "" {
			fmt.Fprintf(&b, ", Path: %s", strconv.Quote(r.Path))
		}
		if r.Handler != "" {
			fmt.Fprintf(&b, ", Handler: %s", strconv.Quote(r.Handler))
		}
		if p := policyFields(r.Policy, tm); p != "" {
			fmt.Fprintf(&b, ", Policy: %s.Policy{%s}", gc, p)
		}
		b.WriteString("},\n")
	}
	fmt.Fprintf(&b, "}\n")
	if len(refs) > 0 {
		fmt.Fprintf(&b, "\n// Referring to each annotated handler makes renaming or deleting one fail\n")
		fmt.Fprintf(&b, "// the build until go generate runs again.\n")
		fmt.Fprintf(&b, "func _() {\n")
		for _, r := range refs {
			fmt.Fprintf(&b, "\t_ = %s\n", r.qualified(aliasOf[r.path]))
		}
		fmt.Fprintf(&b, "}\n")
	}
	return b.Bytes(), nil
}

// gatheredNote marks a table gathered with -output from the directives of
// every loaded package: a run without -output must not replace it with
// the directives of its own package only.
const gatheredNote = "// It gathers the directives of all the packages cachegen loaded: regenerate it with the same -output."

// importSpec is one import of the generated file.
type importSpec struct {
	path, name, alias string
}

// write writes the import, naming it when the alias differs from the
// package name or the package name from the last element of its path.
func (i importSpec) write(b *bytes.Buffer) {
	if i.alias != i.name || i.name != path.Base(i.path) {
		fmt.Fprintf(b, "\t%s %s\n", i.alias, strconv.Quote(i.path))
		return
	}
	fmt.Fprintf(b, "\t%s\n", strconv.Quote(i.path))
}

func needsTime(t policy.Table) bool {
	for _, r := range t {
		if r.Policy.TTL != 0 || r.Policy.Stale != 0 {
			return true
		}
	}
	return false
}

// policyFields renders the non-zero fields of a policy.
func policyFields(p policy.Policy, tm string) string {
	var fields []string
	if p.TTL != 0 {
		fields = append(fields, "TTL: "+durationExpr(p.TTL, tm))
	}
	if p.Stale != 0 {
		fields = append(fields, "Stale: "+durationExpr(p.Stale, tm))
	}
	if p.Vary != nil {
		fields = append(fields, "Vary: "+stringsExpr(p.Vary))
	}
	if p.Identity != nil {
		fields = append(fields, "Identity: "+stringsExpr(p.Identity))
	}
	if p.Public {
		fields = append(fields, "Public: true")
	}
	if p.Query != nil {
		fields = append(fields, "Query: "+stringsExpr(p.Query))
	}
	if p.Invalidate != nil {
		fields = append(fields, "Invalidate: "+stringsExpr(p.Invalidate))
	}
	if p.NoInvalidate {
		fields = append(fields, "NoInvalidate: true")
	}
	return strings.Join(fields, ", ")
}

// durationExpr writes d in the largest unit that divides it: time.Hour,
// 90 * time.Minute, 250 * time.Millisecond.
func durationExpr(d time.Duration, tm string) string {
	units := []struct {
		d    time.Duration
		name string
	}{
		{time.Hour, "Hour"}, {time.Minute, "Minute"}, {time.Second, "Second"},
		{time.Millisecond, "Millisecond"}, {time.Microsecond, "Microsecond"},
	}
	for _, u := range units {
		if d%u.d == 0 {
			if n := d / u.d; n != 1 {
				return fmt.Sprintf("%d * %s.%s", n, tm, u.name)
			}
			return tm + "." + u.name
		}
	}
	return fmt.Sprintf("%s.Duration(%d)", tm, int64(d))
}

func stringsExpr(ss []string) string {
	var b bytes.Buffer
	b.WriteString("[]string{")
	for i, s := range ss {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(s))
	}
	b.WriteString("}")
	return b.String()
}
