module github.com/intelligentcache/gin-intelligent-cache

go 1.26

require (
	github.com/maypok86/otter/v2 v2.4.0
	go.uber.org/goleak v1.3.0
)
