package redis

import "context"

// CheckRunIDs runs one run_id check now, as the watcher does in the
// background.
func (r *Redis) CheckRunIDs(ctx context.Context) { r.watch.check(ctx) }

// KnownRunIDs returns the run_ids the watcher has recorded.
func (r *Redis) KnownRunIDs() map[string]string {
	r.watch.mu.Lock()
	defer r.watch.mu.Unlock()
	out := make(map[string]string, len(r.watch.runIDs))
	for k, v := range r.watch.runIDs {
		out[k] = v
	}
	return out
}

// ForgetTokenLives drops what the backend knows of its tokens' lives, so
// that the next store extends every present token.
func (r *Redis) ForgetTokenLives() { r.lives.forget() }
