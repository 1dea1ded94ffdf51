package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
)

// The end-to-end benchmarks drive the server with a minimal HTTP/1.1
// client over keep-alive connections: it writes prebuilt requests and
// reads only what it checks, so that the server's cost dominates the
// measurement (net/http's client costs about as much as the server).

// rawRequest is the bytes of a GET of path.
func rawRequest(host, path string, m mode) []byte {
	header := ""
	if m == bypass {
		header = "Cache-Control: no-cache\r\n"
	}
	return []byte("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + header + "\r\n")
}

// readResponse reads one response, which must be a 200 with a
// Content-Length of n, and an X-Cache of want when want is set.
func readResponse(br *bufio.Reader, n int, want string) error {
	length := -1
	xcache := ""
	for first := true; ; first = false {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if first {
			if !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
				return fmt.Errorf("status line %q", line)
			}
			continue
		}
		if len(line) <= 2 {
			break
		}
		name, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			length, _ = strconv.Atoi(string(value))
		case bytes.EqualFold(name, []byte("X-Cache")):
			xcache = string(value)
		}
	}
	if length != n {
		return fmt.Errorf("Content-Length %d, want %d", length, n)
	}
	if want != "" && xcache != want {
		return fmt.Errorf("X-Cache %q, want %q", xcache, want)
	}
	_, err := br.Discard(length)
	return err
}
