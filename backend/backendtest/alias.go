package backendtest

import "unsafe"

// aliasString returns a string sharing b's bytes, as a caller that builds
// keys in a reused buffer might pass (strings must be immutable, which is
// why a backend that keeps a key must copy it: this is how the suite
// catches one that does not).
func aliasString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
