//go:build !race

package gincache

const raceEnabled = false
