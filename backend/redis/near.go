package redis

// Namespaces returns the prefixes of the backend's Redis keys: entries
// live under entry+key and tokens under token+name. A near cache tracks
// both (backend/near).
func (r *Redis) Namespaces() (entry, token string) { return r.entryNS, r.tokenNS }
