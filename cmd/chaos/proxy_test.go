package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echoServer answers each line with itself, and closes a connection once
// its client has closed its side.
func echoServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return l.Addr().String()
}

func readLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	line, err := r.ReadString('\n')
	require.NoError(t, err)
	return line
}

// nothingArrives checks that no byte comes back from c while the proxy is
// stalled: the deadline only bounds how long the test looks.
func nothingArrives(t *testing.T, c net.Conn, r *bufio.Reader) {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(100*time.Millisecond)))
	_, err := r.ReadByte()
	assert.True(t, errors.Is(err, os.ErrDeadlineExceeded), "read through a stalled proxy: %v, want nothing", err)
	require.NoError(t, c.SetReadDeadline(time.Time{}))
}

// throughProxy starts a proxy in front of an echo server and connects to
// it; both are closed at the end of the test.
func throughProxy(t *testing.T) (*proxy, net.Conn) {
	t.Helper()
	p, err := newProxy(echoServer(t))
	require.NoError(t, err)
	t.Cleanup(p.sever)
	c, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return p, c
}

func TestProxyStallHoldsBothWaysAndResumeDeliversInOrder(t *testing.T) {
	p, c := throughProxy(t)
	r := bufio.NewReader(c)
	_, err := io.WriteString(c, "one\n")
	require.NoError(t, err)
	assert.Equal(t, "one\n", readLine(t, r))

	p.stall()
	assert.True(t, p.stalled())
	_, err = io.WriteString(c, "two\nthree\n")
	require.NoError(t, err, "the connection stays open while stalled")
	nothingArrives(t, c, r)
	// A connection made during the stall is accepted but gets no answer.
	late, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer late.Close()
	lateR := bufio.NewReader(late)
	_, err = io.WriteString(late, "late\n")
	require.NoError(t, err)
	nothingArrives(t, late, lateR)

	p.resume()
	assert.False(t, p.stalled())
	assert.Equal(t, "two\n", readLine(t, r))
	assert.Equal(t, "three\n", readLine(t, r))
	assert.Equal(t, "late\n", readLine(t, lateR))
}

// What a client sent before giving up on a stalled link still reaches the
// server when the link flows again, as over TCP: the server answers it
// and the connection ends.
func TestProxyDeliversWhatAClientSentBeforeHangingUp(t *testing.T) {
	p, c := throughProxy(t)
	p.stall()
	_, err := io.WriteString(c, "sent before hanging up\n")
	require.NoError(t, err)
	require.NoError(t, c.(*net.TCPConn).CloseWrite())
	p.resume()
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.Equal(t, "sent before hanging up\n", string(got))
}

func TestProxySeverDropsEverything(t *testing.T) {
	p, c := throughProxy(t)
	p.stall()
	_, err := io.WriteString(c, "never delivered\n")
	require.NoError(t, err)
	p.sever()
	got, err := io.ReadAll(c)
	assert.Empty(t, string(got), "bytes held by a severed proxy came through")
	_ = err // a reset or an EOF, either ends the connection
	_, err = net.Dial("tcp", p.Addr())
	assert.Error(t, err, "a severed proxy still accepts connections")
}
