package ratelog

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
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
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3 (one per kind, then one after the interval):\n%s", len(lines), buf.String())
	}
	if strings.Contains(lines[0], "suppressed") || !strings.Contains(lines[2], "suppressed=99") {
		t.Fatalf("want the third line to count the 99 left out:\n%s", buf.String())
	}
}
