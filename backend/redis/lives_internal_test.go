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
