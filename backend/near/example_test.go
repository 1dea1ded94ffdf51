package near_test

import (
	"log"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/backend/near"
	redisbackend "github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/gincache"
)

// A near cache in front of a Redis backend, in every instance of the
// application: hits are served from the process while its lease holds,
// and each write waits Delta before it is answered.
func ExampleNew() {
	src, err := redisbackend.New("redis://localhost:6379/0", redisbackend.Options{KeyPrefix: "myapp"})
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	n, err := near.New(src, near.Options{Delta: 5 * time.Millisecond, MaxBytes: 256 << 20})
	if err != nil {
		log.Fatal(err)
	}
	defer n.Close() // before src.Close: the near cache does not close it
	table := gincache.Table{{Method: "GET", Path: "/items/:id", Policy: gincache.Policy{TTL: time.Minute}}}
	cache, err := gincache.New(table, gincache.WithBackend(n))
	if err != nil {
		log.Fatal(err)
	}
	defer cache.Close()
}
