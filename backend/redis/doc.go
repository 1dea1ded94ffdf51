// Package redis is the Redis backend: New (a server by URL), NewCluster (a
// Redis Cluster by node addresses) and FromClient (a go-redis client the
// application made, e.g. for Sentinel). See Redis for the key layout, the
// round trips and the failure handling.
//
// The package is named for what it stores in; it imports go-redis
// (github.com/redis/go-redis/v9) under go-redis's own name, redis, which is
// legal because a package's own name is not in scope inside it: in this
// package's files, redis.X is always go-redis. A file of yours that needs
// both imports one under another name, e.g.
//
//	import (
//		goredis "github.com/redis/go-redis/v9"
//		"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
//	)
package redis
