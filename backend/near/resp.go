package near

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// The channel speaks RESP3 on a connection of its own (see channel.go for
// why go-redis's connections do not do): these are the few frames it
// writes and reads.

// push is an out-of-band RESP3 push frame (">"), such as an invalidation.
type push []any

// errReply is an error reply ("-" or "!").
type errReply string

func (e errReply) Error() string { return "near: redis replied " + string(e) }

// maxFrame bounds lengths read from the wire, so a garbled stream cannot
// make the reader allocate without bound.
const maxFrame = 512 << 20

var errProtocol = errors.New("near: malformed RESP3 frame")

// writeCommand writes one command as a RESP array of bulk strings.
func writeCommand(w *bufio.Writer, args ...string) error {
	w.WriteByte('*')
	w.WriteString(strconv.Itoa(len(args)))
	w.WriteString("\r\n")
	for _, a := range args {
		w.WriteByte('$')
		w.WriteString(strconv.Itoa(len(a)))
		w.WriteString("\r\n")
		w.WriteString(a)
		w.WriteString("\r\n")
	}
	return w.Flush()
}

// readFrame reads one frame: string (simple, bulk, verbatim, big number,
// double), int64, bool, nil, []any (array, set, map as key/value pairs),
// push, or errReply. Attributes ("|") are read and dropped.
func readFrame(r *bufio.Reader) (any, error) {
	line, err := readLine(r)
	if err != nil {
		return nil, err
	}
	if len(line) == 0 {
		return nil, errProtocol
	}
	body := string(line[1:])
	switch line[0] {
	case '+', '(', ',':
		return body, nil
	case '-':
		return errReply(body), nil
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '#':
		return body == "t", nil
	case '_':
		return nil, nil
	case '$', '=', '!':
		n, err := length(body)
		if err != nil || n < 0 {
			return nil, err // "$-1": a RESP2 null
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		s := string(buf[:n])
		switch line[0] {
		case '=':
			if len(s) >= 4 {
				s = s[4:] // "txt:"
			}
		case '!':
			return errReply(s), nil
		}
		return s, nil
	case '*', '~', '>', '%', '|':
		n, err := length(body)
		if err != nil || n < 0 {
			return nil, err
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		items := make([]any, 0, min(n, 1024))
		for range n {
			v, err := readFrame(r)
			if err != nil {
				return nil, err
			}
			items = append(items, v)
		}
		switch line[0] {
		case '>':
			return push(items), nil
		case '|':
			return readFrame(r) // the value the attribute was about
		}
		return items, nil
	}
	return nil, fmt.Errorf("%w: type %q", errProtocol, line[0])
}

// readLine reads up to CRLF, without it.
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, errProtocol
	}
	return line[:len(line)-2], nil
}

func length(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n > maxFrame {
		return 0, errProtocol
	}
	return n, nil
}
