package backend

import "context"

// bypassKey marks a context whose calls go past an open circuit breaker.
type bypassKey struct{}

// WithoutBreaker returns a context whose backend calls must be tried even
// while the backend's circuit breaker is open. The cache marks with it the
// token renewals of writes, which it retries until they land: a write
// must not skip its invalidation because earlier calls failed, or an
// instance that reaches the backend again would serve what the write made
// stale. A backend with a breaker lets such calls through; their outcome
// counts toward opening the breaker only while it is closed, so that they
// neither extend its cooldown nor take the place of its probes.
func WithoutBreaker(ctx context.Context) context.Context {
	return context.WithValue(ctx, bypassKey{}, true)
}

// BreakerBypassed reports whether ctx was made by WithoutBreaker.
func BreakerBypassed(ctx context.Context) bool {
	v, _ := ctx.Value(bypassKey{}).(bool)
	return v
}
