package gincache

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
)

// A captured write makes one allocation, the buffer that becomes the
// entry's body, whether the handler writes bytes (c.Data, c.JSON) or a
// string (c.String with arguments, io.WriteString). WriteString used to
// convert its string to a []byte first: a heap copy of any string over 32
// bytes, since the bytes may go on to the underlying writer.
func TestCaptureAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector (sync.Pool drops items)")
	}
	c := benchCache(t)
	gc, _ := gin.CreateTestContext(httptest.NewRecorder())
	s := strings.Repeat("x", 1024)
	b := []byte(s)
	for name, write := range map[string]func(w *captureWriter) (int, error){
		"Write":       func(w *captureWriter) (int, error) { return w.Write(b) },
		"WriteString": func(w *captureWriter) (int, error) { return w.WriteString(s) },
	} {
		n := testing.AllocsPerRun(100, func() {
			w := c.newCaptureWriter(gc.Writer)
			if k, err := write(w); err != nil || k != len(s) || string(w.body()) != s {
				t.Fatalf("%s: wrote %d, %v; captured %d bytes", name, k, err, len(w.body()))
			}
			w.release()
		})
		require.Equal(t, 1.0, n, "%s: allocations per captured write", name)
	}
}
