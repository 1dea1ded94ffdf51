package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/intelligentcache/gin-intelligent-cache/cmd/cachegen/internal/explain"
	"github.com/intelligentcache/gin-intelligent-cache/cmd/cachegen/internal/generator"
	"github.com/intelligentcache/gin-intelligent-cache/cmd/cachegen/internal/textdiff"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // diagnostics, a stale file under -check, or a failed load
	exitUsage = 2
)

func main() {
	os.Exit(run(os.Args[1:], "", nil, os.Stdout, os.Stderr))
}

const usage = `usage: cachegen [flags] [packages]

cachegen reads the //cache: directives of the Gin handlers in the packages
(default ".") and writes the route-to-policy table that gincache.New takes.
Run it with go generate:

	//go:generate go run github.com/intelligentcache/gin-intelligent-cache/cmd/cachegen

The directive grammar is in docs/DIRECTIVES.md.

Flags:
`

// run is the whole command: dir and env stand for the working directory
// and the environment ("" and nil: the process's own).
func run(args []string, dir string, env []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cachegen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	output := fs.String("output", generator.DefaultOutput, "the generated `file`; its directory must hold one of the loaded packages")
	varName := fs.String("var", generator.DefaultVar, "the `name` of the table variable")
	tags := fs.String("tags", "", "comma-separated build `tags`, as for go build")
	check := fs.Bool("check", false, "write nothing: print a diff and exit 1 if the generated file is missing or stale")
	explainFlag := fs.Bool("explain", false, "write nothing: print the table and which cached routes each write route invalidates")
	format := fs.String("format", "text", "the `format` of -explain: text or mermaid")
	verbose := fs.Bool("v", false, "print how long loading and analysis took")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	formatSet := false
	fs.Visit(func(f *flag.Flag) { formatSet = formatSet || f.Name == "format" })
	switch {
	case *check && *explainFlag:
		return usageError(stderr, "-check and -explain cannot be combined")
	case formatSet && !*explainFlag:
		return usageError(stderr, "-format applies to -explain only")
	case *format != "text" && *format != "mermaid":
		return usageError(stderr, fmt.Sprintf("-format %q: want text or mermaid", *format))
	}

	cfg := generator.Config{
		Dir:      dir,
		Patterns: fs.Args(),
		Tags:     *tags,
		Output:   *output,
		Var:      *varName,
		Env:      env,
	}
	res, err := generator.Generate(cfg)
	var uerr *generator.UsageError
	switch {
	case errors.As(err, &uerr):
		return usageError(stderr, uerr.Msg)
	case err != nil:
		fmt.Fprintf(stderr, "cachegen: %v\n", err)
		return exitFail
	}
	if dir == "" {
		dir, _ = os.Getwd()
	}
	for _, d := range res.Diagnostics {
		fmt.Fprintln(stderr, d.Format(dir))
	}
	if *verbose {
		fmt.Fprintf(stderr, "cachegen: %d packages, %d route registrations: load %v, analysis %v\n",
			res.Packages, res.Routes, res.Timing.Load.Round(1e5), res.Timing.Analysis.Round(1e5))
	}
	if res.Failed() {
		return exitFail
	}

	name := res.Output
	if rel, err := filepath.Rel(dir, name); err == nil && !strings.HasPrefix(rel, "..") {
		name = rel
	}
	switch {
	case *explainFlag:
		render := explain.Text
		if *format == "mermaid" {
			render = explain.Mermaid
		}
		if err := render(stdout, res.Table, res.Writes); err != nil {
			fmt.Fprintf(stderr, "cachegen: %v\n", err)
			return exitFail
		}
		return exitOK
	case *check:
		old, err := os.ReadFile(res.Output)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(stderr, "cachegen: %v\n", err)
			return exitFail
		}
		if bytes.Equal(old, res.Content) {
			return exitOK
		}
		fmt.Fprint(stdout, textdiff.Unified(name+" (on disk)", name+" (generated)", string(old), string(res.Content)))
		if err != nil {
			fmt.Fprintf(stderr, "cachegen: %s is missing: run go generate\n", name)
		} else {
			fmt.Fprintf(stderr, "cachegen: %s is stale: run go generate\n", name)
		}
		return exitFail
	}
	if old, err := os.ReadFile(res.Output); err == nil && bytes.Equal(old, res.Content) {
		return exitOK // unchanged: keep the file's modification time
	}
	if err := os.WriteFile(res.Output, res.Content, 0o666); err != nil {
		fmt.Fprintf(stderr, "cachegen: %v\n", err)
		return exitFail
	}
	return exitOK
}

func usageError(stderr io.Writer, msg string) int {
	fmt.Fprintf(stderr, "cachegen: %s\nrun cachegen -h for usage\n", msg)
	return exitUsage
}
