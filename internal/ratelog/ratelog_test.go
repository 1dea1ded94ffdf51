package ratelog

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSuppressesAndCounts(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	l := New(slog.New(slog.NewTextHandler(&buf, nil)), func() time.Time { return now })
	for range 100 {
		l.Log(slog.LevelWarn, "fail:a", "call failed")
	}
	l.Log(slog.LevelWarn, "fail:b", "other node")
	now = now.Add(Every)
	l.Log(slog.LevelWarn, "fail:a", "call failed")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 3, "%d lines", len(lines))
	require.NotContains(t, lines[0], "suppressed", "want the third line to count the 99 left out:\n%s", buf.String())
	require.Contains(t, lines[2], "suppressed=99", "want the third line to count the 99 left out:\n%s", buf.String())
}
