package redis_test

import (
	"context"
	"log"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	goredis "github.com/redis/go-redis/v9"
)

// A backend on one Redis server, its keys under "myapp:". It connects
// lazily: a Redis that is down makes calls fail, not the start.
func ExampleNew() {
	b, err := redis.New("redis://localhost:6379/0", redis.Options{
		KeyPrefix:      "myapp",
		MaxConnections: 50,
		SocketTimeout:  100 * time.Millisecond,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
}

// A backend on the Redis Cluster that the listed nodes belong to.
func ExampleNewCluster() {
	b, err := redis.NewCluster([]string{"10.0.0.1:7000", "10.0.0.2:7000"}, redis.Options{KeyPrefix: "myapp"})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
}

// A backend on a Sentinel-managed master, sharing the application's
// client. The client must set ContextTimeoutEnabled so that the cache's
// per-request deadline bounds every call.
func ExampleFromClient() {
	client := goredis.NewFailoverClient(&goredis.FailoverOptions{
		MasterName:            "mymaster",
		SentinelAddrs:         []string{"10.0.0.1:26379", "10.0.0.2:26379", "10.0.0.3:26379"},
		ContextTimeoutEnabled: true,
		DialTimeout:           200 * time.Millisecond,
		ReadTimeout:           200 * time.Millisecond,
		MaxRetries:            1,
	})
	defer client.Close()
	b, err := redis.FromClient(context.Background(), client, redis.Options{KeyPrefix: "myapp"})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close() // before client.Close: the client is the application's
}

// An application's own client, shared with the backend, whose
// connections go-redis does not peek at before each command, as the
// clients New and NewCluster build: a system call fewer per command, and
// connections idle for a minute replaced instead (Options.PeekConnections
// says what that trades). A Sentinel client takes it the same way
// (FailoverOptions.Dialer).
func ExampleUnpeekedDialer() {
	opt := &goredis.Options{Addr: "localhost:6379", ContextTimeoutEnabled: true, ConnMaxIdleTime: time.Minute}
	opt.Dialer = redis.UnpeekedDialer(goredis.NewDialer(opt))
	client := goredis.NewClient(opt)
	defer client.Close()
	b, err := redis.FromClient(context.Background(), client, redis.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
}
