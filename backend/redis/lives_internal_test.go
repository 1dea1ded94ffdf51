package redis

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTokenLives(t *testing.T) {
	l := newTokenLives()
	l.note("a", 1, 10*time.Second)
	require.True(t, l.covers("a", 1, 10*time.Second), "a token noted until 10s, asked for 10s")
	require.False(t, l.covers("a", 1, 11*time.Second), "a token noted until 10s, asked for 11s")
	require.False(t, l.covers("a", 2, time.Second), "a token noted at value 1, asked at value 2")
	require.False(t, l.covers("b", 1, time.Second), "a token never noted")
	for i := range 3 * maxTokenLives {
		l.note(strconv.Itoa(i), 1, time.Hour)
		require.LessOrEqual(t, len(l.m), maxTokenLives, "tokens remembered after %d notes", i+1)
	}
}

// A full memory makes room for a new token by forgetting one, not all,
// so the tokens every store notes (the epoch's, the root's) stay known
// while more paths pass through than the memory holds.
func TestTokenLivesForgetOneAtTheBound(t *testing.T) {
	l := newTokenLives()
	for i := range maxTokenLives {
		l.note(strconv.Itoa(i), 1, time.Hour)
	}
	l.note("new", 1, time.Hour)
	require.Len(t, l.m, maxTokenLives)
	known := 0
	for i := range maxTokenLives {
		if l.covers(strconv.Itoa(i), 1, time.Hour) {
			known++
		}
	}
	require.Equal(t, maxTokenLives-1, known, "tokens still known after one more than the bound")
	require.True(t, l.covers("new", 1, time.Hour), "the token noted last")
	// A token noted again takes no one's place.
	l.note("new", 1, 2*time.Hour)
	require.Len(t, l.m, maxTokenLives)
	require.True(t, l.covers("new", 1, 2*time.Hour), "the token noted again, with its new life")
}

// A new epoch (the server restarted or failed over, and may have rolled
// tokens back, TTLs included) forgets what was known of tokens' lives.
func TestRenewEpochForgetsTokenLives(t *testing.T) {
	r, err := New("redis://127.0.0.1:1", Options{})
	require.NoError(t, err)
	defer r.Close()
	r.lives.note("a", 1, time.Hour)
	r.renewEpoch("test")
	require.False(t, r.lives.covers("a", 1, time.Second), "a token's life known across an epoch renewal")
}
