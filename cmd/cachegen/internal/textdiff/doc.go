// Package textdiff prints line diffs in the unified format, for
// cachegen -check and for the (-want +got) messages of its tests.
//
// # Method
//
// Lines shared at both ends are trimmed, then Myers' O(ND) algorithm finds
// a shortest edit script for the middle. Generated files differ little
// from run to run, so D stays small; past maxEdits the middle is shown as
// replaced wholesale, which is still a correct diff, only a longer one.
package textdiff
