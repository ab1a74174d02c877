//go:build !linux

package cardemu

import "net"

// quickAck does nothing: TCP_QUICKACK exists only on Linux.
func quickAck(net.Conn) {}
