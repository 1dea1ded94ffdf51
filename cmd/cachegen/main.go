package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
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
(default ".", or "./..." for a whole module) and writes the route-to-policy
tables that gincache.New takes: each package with directives gets its own
cache_policies_gen.go. Run it with go generate:

	//go:generate go tool cachegen

and in CI, from the module root:

	go tool cachegen -check ./...

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
	output := fs.String("output", "", "gather the directives of all the loaded packages into one table in this `file`, whose directory must hold one of them (default: a table per package, in its directory)")
	varName := fs.String("var", generator.DefaultVar, "the `name` of the table variable")
	tags := fs.String("tags", "", "comma-separated build `tags`, as for go build")
	check := fs.Bool("check", false, "write nothing: print a diff and exit 1 if a generated file is missing or stale")
	explainFlag := fs.Bool("explain", false, "write nothing: print the tables and which cached routes each write route invalidates")
	format := fs.String("format", "text", "the `format` of -explain: text or mermaid")
	verbose := fs.Bool("v", false, "print how long loading and analysis took")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK // asked for: not a usage error
		}
		return exitUsage
	}
	set := make(map[string]bool)
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case *check && *explainFlag:
		return usageError(stderr, "-check and -explain cannot be combined")
	case set["format"] && !*explainFlag:
		return usageError(stderr, "-format applies to -explain only")
	case *format != "text" && *format != "mermaid":
		return usageError(stderr, fmt.Sprintf("-format %q: want text or mermaid", *format))
	}

	if dir == "" {
		dir, _ = os.Getwd()
	}
	// Files are named relative to the working directory, as go vet names
	// them. Under go generate that is the package's directory, not where
	// the user ran go generate ./...: absolute paths stay clickable there.
	base := dir
	if underGoGenerate(env) {
		base = ""
	}
	cfg := generator.Config{
		Dir:      dir,
		Patterns: fs.Args(),
		Tags:     *tags,
		Var:      *varName,
		Env:      env,
		PathBase: base,
	}
	cfg.Output = *output
	res, err := generator.Generate(cfg)
	var uerr *generator.UsageError
	switch {
	case errors.As(err, &uerr):
		return usageError(stderr, uerr.Msg)
	case err != nil:
		// The go command's own message, as it came ("go: ..."): it says
		// what is wrong and where.
		msg := err.Error()
		if !strings.HasPrefix(msg, "go: ") {
			msg = "cachegen: " + msg
		}
		fmt.Fprintln(stderr, msg)
		return exitFail
	}
	for _, d := range res.Diagnostics {
		fmt.Fprintln(stderr, d.Format(base))
	}
	if *verbose {
		fmt.Fprintf(stderr, "cachegen: %d packages, %d route registrations: load %v, analysis %v\n",
			res.Packages, res.Routes, res.Timing.Load.Round(1e5), res.Timing.Analysis.Round(1e5))
	}
	if res.Failed() {
		return exitFail
	}

	switch {
	case *explainFlag:
		render := explain.Text
		comment := "#"
		if *format == "mermaid" {
			render, comment = explain.Mermaid, "%%"
		}
		for i, f := range res.Files {
			if len(res.Files) > 1 {
				if i > 0 {
					fmt.Fprintln(stdout)
				}
				fmt.Fprintf(stdout, "%s %s (%s)\n", comment, f.Package, generator.RelPath(base, f.Path))
			}
			if err := render(stdout, f.Table, f.Writes); err != nil {
				fmt.Fprintf(stderr, "cachegen: %v\n", err)
				return exitFail
			}
		}
		return exitOK
	case *check:
		code := exitOK
		for _, f := range res.Files {
			if !checkFile(f, base, stdout, stderr) {
				code = exitFail
			}
		}
		return code
	}
	code := exitOK
	for _, f := range res.Files {
		if old, err := os.ReadFile(f.Path); err == nil && bytes.Equal(old, f.Content) {
			continue // unchanged: keep the file's modification time
		}
		if err := os.WriteFile(f.Path, f.Content, 0o666); err != nil {
			fmt.Fprintf(stderr, "cachegen: %v\n", err)
			code = exitFail
		}
	}
	return code
}

// checkFile compares a generated file with the one on disk; when they
// differ it prints the diff and says so, and reports false.
func checkFile(f *generator.File, base string, stdout, stderr io.Writer) bool {
	old, err := os.ReadFile(f.Path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "cachegen: %v\n", err)
		return false
	}
	if bytes.Equal(old, f.Content) {
		return true
	}
	name := generator.RelPath(base, f.Path)
	fmt.Fprint(stdout, textdiff.Unified(name+" (on disk)", name+" (generated)", string(old), string(f.Content)))
	state := "stale"
	if err != nil {
		state = "missing"
	}
	fmt.Fprintf(stderr, "cachegen: %s is %s: run go generate (package %s)\n", name, state, f.Package)
	return false
}

// underGoGenerate reports whether go generate runs the command: it sets
// GOFILE and GOPACKAGE.
func underGoGenerate(env []string) bool {
	if env == nil {
		env = os.Environ()
	}
	vars := make(map[string]string)
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v // the last one wins, as in os/exec
		}
	}
	return vars["GOFILE"] != "" && vars["GOPACKAGE"] != ""
}

func usageError(stderr io.Writer, msg string) int {
	fmt.Fprintf(stderr, "cachegen: %s\nrun cachegen -h for usage\n", msg)
	return exitUsage
}
