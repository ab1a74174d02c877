//go:build linux

package cardemu

import (
	"net"
	"syscall"
)

// quickAck turns on TCP_QUICKACK so that the kernel acknowledges vpcd's next
// message at once. Linux clears the flag after a while, so it is set again
// before every read; without it each APDU waits for the delayed ACK
// (about 40 ms).
func quickAck(c net.Conn) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}
