package testutil

import (
	"context"
	"fmt"
	"testing"
)

func TestClusterSpreadsKeysOverMasters(t *testing.T) {
	c := StartCluster(t, 3)
	if again := StartCluster(t, 3); again != c {
		t.Fatal("StartCluster started a second cluster; want the shared one")
	}
	ctx := context.Background()
	cl := c.Client(t)
	prefix := Prefix(t)
	for i := range 60 {
		if err := cl.Set(ctx, fmt.Sprintf("%s%d", prefix, i), "v", 0).Err(); err != nil {
			t.Fatalf("SET through the cluster: %v", err)
		}
	}
	total := 0
	for i := range c.Addrs() {
		n, err := c.NodeClient(t, i).DBSize(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("master %d holds no key: slots not spread", i)
		}
		total += int(n)
	}
	if total < 60 {
		t.Errorf("masters hold %d keys, want at least 60", total)
	}
	if n := c.Flush(t, prefix); n != 60 {
		t.Errorf("Flush deleted %d keys, want 60", n)
	}
}
