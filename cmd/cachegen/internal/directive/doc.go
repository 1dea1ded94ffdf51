// Package directive parses the //cache: comments that cachegen reads.
//
// # Form
//
// A directive is a line comment that starts with exactly "//cache:" (no
// space after the slashes, so gofmt keeps it and godoc hides it), followed
// by items separated by spaces:
//
//	//cache:ttl=1h vary=user_id,header:X-Tenant query=page,limit
//
// An item is key=value, or a bare flag (public, off). Several //cache:
// lines in one comment group form a single directive; a key may appear
// once in all of them. docs/DIRECTIVES.md is the reference of every key.
//
// # Errors
//
// Parse reports every problem it finds, each with the position of the
// item (or the part of the value) at fault, so that cachegen can print
// file:line:col diagnostics. Which keys fit which route (ttl on a GET,
// invalidate on a write) is not known here: the generator checks that once
// it has found the routes.
package directive
