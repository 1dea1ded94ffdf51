package main

import (
	"fmt"
	"slices"
	"strings"
)

// blocks are the generated parts of BENCHMARKS.md, by name.
func blocks(r *run, benchtime string, rounds int) map[string]string {
	return map[string]string{
		"machine":    machineBlock(r),
		"commands":   commandsBlock(benchtime, rounds),
		"headline":   headline(r),
		"targets":    targetsTable(r),
		"peers":      peerTargetsTable(r),
		"peers-near": peerNearTable(r),
		"hit":        inProcessTable(r, "Hit"),
		"miss":       inProcessTable(r, "Miss"),
		"bypass":     inProcessTable(r, "Bypass"),
		"e2e-hit":    endToEndTable(r, "hit"),
		"e2e-miss":   endToEndTable(r, "miss"),
		"e2e-bypass": endToEndTable(r, "bypass"),
		"parallel":   parallelTable(r),
		"invalidate": invalidateTable(r),
		"footprint":  footprintTable(r),
		"cachegen":   cachegenTable(r),
		"near-hit":   nearHitTable(r),
		"near-e2e":   nearEndToEndTable(r),
		"near-renew": nearRenewTable(r),
	}
}

func machineBlock(r *run) string {
	var rows [][]string
	names := map[string]string{"cpu": "CPU", "cores": "cores", "memory": "memory", "kernel": "kernel", "goos": "OS", "goarch": "architecture",
		"go": "Go", "redis": "Redis", "date": "date of the run", "commit": "commit measured"}
	for _, k := range []string{"cpu", "cores", "memory", "kernel", "goos", "goarch", "go", "redis", "date", "commit"} {
		if v, ok := r.config[k]; ok {
			rows = append(rows, []string{names[k], v})
		}
	}
	return table([]string{"", "this run"}, rows)
}

func commandsBlock(benchtime string, rounds int) string {
	var b strings.Builder
	b.WriteString("```sh\ncd bench\n")
	for _, s := range steps(benchtime) {
		args := s.args(rounds)
		for i, a := range args {
			if strings.ContainsAny(a, "^$|()") {
				args[i] = "'" + a + "'"
			}
		}
		fmt.Fprintf(&b, "go %s\n", strings.Join(args, " "))
	}
	b.WriteString("```\n")
	return b.String()
}

// fillBlocks replaces the body of every block <!-- bench:NAME --> ...
// <!-- /bench:NAME --> in doc. A block the document lacks, or one it has
// that is not generated, is an error: the document and the generator
// must agree.
func fillBlocks(doc string, content map[string]string) (string, error) {
	var missing []string
	for name, body := range content {
		open, end := "<!-- bench:"+name+" -->\n", "<!-- /bench:"+name+" -->"
		i := strings.Index(doc, open)
		j := strings.Index(doc, end)
		if i < 0 || j < i {
			missing = append(missing, name)
			continue
		}
		doc = doc[:i+len(open)] + strings.TrimRight(body, "\n") + "\n" + doc[j:]
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return "", fmt.Errorf("no block for %s (want <!-- bench:NAME --> ... <!-- /bench:NAME -->)", strings.Join(missing, ", "))
	}
	rest := doc
	for {
		i := strings.Index(rest, "<!-- bench:")
		if i < 0 {
			break
		}
		name, _, _ := strings.Cut(rest[i+len("<!-- bench:"):], " ")
		if _, ok := content[name]; !ok {
			return "", fmt.Errorf("block %q is not generated", name)
		}
		rest = rest[i+1:]
	}
	return doc, nil
}
