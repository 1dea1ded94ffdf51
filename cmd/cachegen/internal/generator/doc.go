// Package generator is cachegen's engine: it loads packages, finds the Gin
// routes and the //cache: directives of their handlers, checks one against
// the other, and renders the route-to-policy table.
//
// # Pipeline
//
// Generate runs one packages.Load (types from source for the loaded
// packages, export data for their dependencies), then:
//
//  1. walk: records declarations, router flows (assignments, struct
//     fields, call arguments, results), route registrations and
//     directive comment groups;
//  2. solve: iterates the router flows to a fixed point, giving each
//     router value its possible group prefixes;
//  3. resolve: gives each registration its full paths and classifies its
//     handler (function, method value, factory, literal), with the name
//     Gin will report for it at run time;
//  4. build: matches directives with registrations, reports every misfit
//     with its position, and assembles the table;
//  5. render: writes the file, already gofmt'd, with a func _() block
//     that refers to each annotated handler.
//
// Nothing is written here: Generate returns the content of each file
// (a table per package with directives, or one table gathering them all
// with Config.Output) and the caller decides (write, compare for -check,
// explain).
//
// # One implementation of the checks
//
// Check runs the same pipeline on one type-checked package, as a
// go/analysis pass sees it: the analyzer of cmd/cachegen/cachedirectives
// calls it. The analysis then knows it is partial (analysis.partial) and
// leaves out what needs every route of the program. A new check written
// in the pipeline (walk, build, routesOf, checkAttachment, checkTargets,
// or the directive parser) reports through analysis.errorf and reaches
// both cachegen and the analyzer; if it needs the whole program, it
// returns early when a.partial is set.
//
// # Routes by type
//
// A call registers routes when its callee is a method of Gin's router
// types (*gin.RouterGroup, *gin.Engine, gin.IRoutes, gin.IRouter), found
// with typeutil.Callee, never by the method's name. Paths are string
// constants from the type checker.
package generator
