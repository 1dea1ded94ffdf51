package redisserver

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestStartServesAndStopCleansUp(t *testing.T) {
	s, err := Start(Options{})
	if errors.Is(err, ErrNoBinary) && !Required() {
		t.Skip("redis-server not installed (set GINCACHE_REQUIRE_REDIS to fail instead)")
	}
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(&redis.Options{Addr: s.Addr()})
	defer c.Close()
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got := c.Get(ctx, "k").Val(); got != "v" {
		t.Fatalf("GET k = %q, want v", got)
	}
	cfg, err := c.ConfigGet(ctx, "save").Result()
	if err != nil {
		t.Fatal(err)
	}
	if cfg["save"] != "" {
		t.Errorf("save = %q, want persistence off", cfg["save"])
	}
	s.Stop()
	s.Stop() // idempotent
	if _, err := os.Stat(s.dir); !os.IsNotExist(err) {
		t.Errorf("directory %s left behind (%v)", s.dir, err)
	}
	if err := c.Ping(ctx).Err(); err == nil {
		t.Error("server still answers after Stop")
	}
}

func TestStartWithoutBinary(t *testing.T) {
	if _, err := Start(Options{Binary: "/nonexistent/redis-server"}); err == nil {
		t.Fatal("Start succeeded with a missing binary")
	}
}

func TestStartReportsAServerThatExits(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil && !Required() {
		t.Skip("redis-server not installed")
	}
	s, err := Start(Options{Args: []string{"--no-such-option", "1"}})
	if err == nil {
		s.Stop()
		t.Fatal("Start succeeded with an invalid option")
	}
	if !strings.Contains(err.Error(), "exited at start") {
		t.Errorf("error %q does not say the server exited", err)
	}
}
