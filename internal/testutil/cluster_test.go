package testutil

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClusterSpreadsKeysOverMasters(t *testing.T) {
	c := StartCluster(t, 3)
	again := StartCluster(t, 3)
	require.Same(t, c, again, "StartCluster started a second cluster; want the shared one")
	ctx := context.Background()
	cl := c.Client(t)
	prefix := Prefix(t)
	for i := range 60 {
		require.NoError(t, cl.Set(ctx, fmt.Sprintf("%s%d", prefix, i), "v", 0).Err(), "SET through the cluster")
	}
	total := 0
	for i := range c.Addrs() {
		n, err := c.NodeClient(t, i).DBSize(ctx).Result()
		require.NoError(t, err)
		assert.NotZero(t, n, "master %d holds no key: slots not spread", i)
		total += int(n)
	}
	assert.GreaterOrEqual(t, total, 60, "masters hold %d keys, want at least 60", total)
	n := c.Flush(t, prefix)
	assert.Equal(t, 60, n, "Flush deleted %d keys", n)
}
