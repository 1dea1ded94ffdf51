package near

import "net"

// WrapConn makes every channel connection of a near cache built with o go
// through wrap (tests freeze it).
func WrapConn(o *Options, wrap func(net.Conn) net.Conn) { o.wrapConn = wrap }
