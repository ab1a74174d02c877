// Package pcsctest gives the tests of several packages one real PC/SC
// stack: pcscd with vsmartcard's vpcd driver, whose two readers the card
// emulator (internal/cardemu) plays cards into.
//
// pcscd listens on a fixed socket (pcsc-lite 1.9.9's daemon ignores
// PCSCLITE_CSOCK_NAME), so a machine has one, while `go test ./...` runs
// packages as parallel processes. Start and Close coordinate them through
// two lock files: a test process holds a shared lock on the users file for
// as long as it uses pcscd; a pcscd that a test started is stopped by the
// last user to leave, never by one that still has company. A pcscd that
// was already running (the system's, or one started by scripts/test) is
// used and left alone. A socket file without a daemon behind it, left by a
// killed pcscd, does not count as running.
package pcsctest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	// Socket is pcsc-lite's socket.
	Socket = "/run/pcscd/pcscd.comm"

	// vpcd's readers as Debian's vsmartcard-vpcd configures them
	// (/etc/reader.conf.d/vpcd, channel 0x8C7B): the card emulator
	// connects to port 35963 for the first reader and 35964 for the second.
	Reader1Name = "Virtual PCD 00 00"
	Reader1Addr = "127.0.0.1:35963"
	Reader2Name = "Virtual PCD 00 01"
	Reader2Addr = "127.0.0.1:35964"

	startTimeout = 10 * time.Second
	stopTimeout  = 5 * time.Second
)

// vpcdDrivers are where distributions install the vpcd driver.
var vpcdDrivers = []string{
	"/usr/lib/pcsc/drivers/serial/libifdvpcd.so",
	"/usr/lib64/pcsc/drivers/serial/libifdvpcd.so",
	"/usr/local/lib/pcsc/drivers/serial/libifdvpcd.so",
	"/usr/lib/*/pcsc/drivers/serial/libifdvpcd.so",
}

// NotBuilt says why a test that needs the real PC/SC code does not run
// when Built is false.
const NotBuilt = "the tests were built without -tags pcsc (scripts/test adds it where libpcsclite-dev is installed)"

// Stack is one test process's use of pcscd; Close ends it.
type Stack struct {
	users *os.File
}

func lockDir() string { return os.TempDir() }

func startLockPath() string { return filepath.Join(lockDir(), "multicert-pcscd-start.lock") }
func usersLockPath() string { return filepath.Join(lockDir(), "multicert-pcscd-users.lock") }

// pidPath holds the pid of the pcscd a test started.
func pidPath() string { return filepath.Join(lockDir(), "multicert-pcscd.pid") }

// LogPath is where the output of a pcscd started by a test goes.
func LogPath() string { return filepath.Join(lockDir(), "multicert-pcscd.log") }

// Start makes sure a pcscd with both vpcd readers answers, starting one
// when none does, and registers this process as its user. The error says
// what is missing (packages, root, a pcscd without vpcd's readers).
func Start() (*Stack, error) {
	if !driverInstalled() {
		return nil, errors.New("the vpcd driver (Debian package vsmartcard-vpcd) is not installed")
	}
	unlock, err := flockPath(startLockPath(), syscall.LOCK_EX)
	if err != nil {
		return nil, err
	}
	defer unlock()

	users, err := os.OpenFile(usersLockPath(), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(users.Fd()), syscall.LOCK_SH); err != nil {
		users.Close()
		return nil, fmt.Errorf("lock %s: %w", users.Name(), err)
	}
	s := &Stack{users: users}

	if !answers() {
		if err := startDaemon(); err != nil {
			s.leave()
			return nil, err
		}
	}
	if err := waitReaders(); err != nil {
		s.leave()
		return nil, err
	}
	return s, nil
}

// Close ends this process's use; the last user stops a pcscd that a test
// started.
func (s *Stack) Close() {
	if s == nil || s.users == nil {
		return
	}
	unlock, err := flockPath(startLockPath(), syscall.LOCK_EX)
	if err == nil {
		defer unlock()
	}
	s.leave()
}

// leave stops the test-started pcscd when no other process holds the users
// lock, then drops this process's lock. The caller holds the start lock.
func (s *Stack) leave() {
	if syscall.Flock(int(s.users.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
		stopDaemon()
	}
	s.users.Close()
	s.users = nil
}

// LogTail returns the last n bytes of the output of a pcscd a test started.
func LogTail(n int) string {
	b, err := os.ReadFile(LogPath())
	if err != nil {
		return ""
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

func driverInstalled() bool {
	for _, pattern := range vpcdDrivers {
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			return true
		}
	}
	return false
}

// answers reports whether a pcscd accepts connections on its socket (a
// socket file left by a killed pcscd refuses them).
func answers() bool { return answersAt(Socket) }

func answersAt(socket string) bool {
	c, err := net.DialTimeout("unix", socket, time.Second)
	if err != nil {
		// pcscd listens with a backlog of one: while other test
		// processes connect, a connection can be refused with EAGAIN,
		// which only a listening socket gives.
		return errors.Is(err, syscall.EAGAIN)
	}
	c.Close()
	return true
}

// waitReaders waits until vpcd listens for both readers' cards. It reads
// the kernel's table of listening sockets rather than connecting, which
// vpcd would take for a card.
func waitReaders() error {
	want := []string{Reader1Addr, Reader2Addr}
	deadline := time.Now().Add(startTimeout)
	for {
		missing, err := notListening(want)
		if err == nil && len(missing) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("cannot tell whether vpcd listens: %v", err)
			}
			return fmt.Errorf("pcscd answers, but nothing listens on %s for vpcd's readers %q and %q "+
				"(is pcscd running with another reader configuration than /etc/reader.conf.d/vpcd?)",
				strings.Join(missing, ", "), Reader1Name, Reader2Name)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// notListening returns the TCP addresses of want (IPv4, host:port) that
// have no listening socket, reading /proc/net/tcp. vpcd listens on all
// addresses, so a listener on 0.0.0.0 counts for 127.0.0.1.
func notListening(want []string) ([]string, error) {
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return nil, err
	}
	listening := map[uint64]bool{}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 4 || f[3] != "0A" { // 0A is TCP_LISTEN
			continue
		}
		_, port, ok := strings.Cut(f[1], ":")
		if !ok {
			continue
		}
		if p, err := strconv.ParseUint(port, 16, 16); err == nil {
			listening[p] = true
		}
	}
	var missing []string
	for _, addr := range want {
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return nil, err
		}
		if !listening[p] {
			missing = append(missing, addr)
		}
	}
	return missing, nil
}

// startDaemon starts pcscd in its own session, records its pid for the last
// user to stop it, and waits until it answers. args go to pcscd.
func startDaemon(extra ...string) error {
	bin, err := exec.LookPath("pcscd")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/pcscd"); serr != nil {
			return errors.New("pcscd (Debian package pcscd) is not installed")
		}
		bin = "/usr/sbin/pcscd"
	}
	// A pcscd that is still exiting holds vpcd's ports; a new one would
	// start without the readers.
	deadline := time.Now().Add(stopTimeout)
	for {
		missing, err := notListening([]string{Reader1Addr, Reader2Addr})
		if err != nil {
			return fmt.Errorf("cannot tell whether vpcd's ports are free: %v", err)
		}
		if len(missing) == 2 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pcscd does not answer, yet something listens on vpcd's ports %s or %s", Reader1Addr, Reader2Addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := os.MkdirAll(filepath.Dir(Socket), 0o755); err != nil {
		return fmt.Errorf("pcscd needs %s (run the tests as root): %v", filepath.Dir(Socket), err)
	}
	logf, err := os.Create(LogPath())
	if err != nil {
		return err
	}
	defer logf.Close()
	// pcsc-lite 1.9.9 has no --disable-polkit option: polkit is a build
	// option, and root passes it.
	args := append([]string{"--foreground"}, extra...)
	if help, _ := exec.Command(bin, "--help").CombinedOutput(); strings.Contains(string(help), "--disable-polkit") {
		args = append(args, "--disable-polkit")
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start pcscd: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }() // reap it if this process outlives it
	if err := os.WriteFile(pidPath(), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
		_ = cmd.Process.Kill()
		return err
	}
	deadline = time.Now().Add(startTimeout)
	for !answers() {
		select {
		case <-exited:
			os.Remove(pidPath())
			return fmt.Errorf("pcscd exited at start: %s", strings.TrimSpace(LogTail(512)))
		default:
		}
		if time.Now().After(deadline) {
			stopDaemon()
			return fmt.Errorf("pcscd did not answer on %s within %v", Socket, startTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// stopDaemon stops the pcscd recorded by startDaemon, if it is still that
// pcscd, and waits until its socket is gone.
func stopDaemon() {
	b, err := os.ReadFile(pidPath())
	if err != nil {
		return
	}
	os.Remove(pidPath())
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil || strings.TrimSpace(string(comm)) != "pcscd" {
		return // gone, or the pid now belongs to another program
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	// pcscd removes its socket file before it closes vpcd's ports: wait
	// for the process itself, or the next pcscd could not bind them.
	waitExit(pid)
}

// exited reports whether the process is gone or a zombie (whose sockets
// are closed), without being its parent.
func exited(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// pid (comm) state ...: comm may hold spaces and parentheses.
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || i+2 >= len(b) || b[i+2] == 'Z' || b[i+2] == 'X'
}

// flockPath takes a lock on the file at path and returns its release.
func flockPath(path string, how int) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
