//go:build race

package gincache

// raceEnabled: under the race detector sync.Pool drops a share of what is
// put back, so allocation counts are not the ones a build without it makes.
const raceEnabled = true
