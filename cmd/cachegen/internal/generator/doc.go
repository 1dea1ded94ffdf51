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
// Nothing is written here: Generate returns the content and the caller
// decides (write, compare for -check, explain).
//
// # Routes by type
//
// A call registers routes when its callee is a method of Gin's router
// types (*gin.RouterGroup, *gin.Engine, gin.IRoutes, gin.IRouter), found
// with typeutil.Callee, never by the method's name. Paths are string
// constants from the type checker.
package generator
