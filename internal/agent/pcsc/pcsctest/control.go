package pcsctest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrShared is returned by Control when other test processes keep using
// pcscd: stopping it would break their tests.
var ErrShared = errors.New("other test processes use pcscd; the test that stops it cannot run alongside them")

// sharedWait bounds how long Control waits for other test processes to
// leave pcscd (a variable for the tests).
var sharedWait = 30 * time.Second

// Control is one test's sole use of pcscd: it stops pcscd and starts it
// again, with or without vpcd's readers, as the PC/SC service goes away
// and comes back on a user's PC (Windows stops it when the last reader is
// unplugged). pcscd cannot add or remove vpcd's readers while it runs (they
// come from its configuration, read at start, and SIGUSR1 does not re-read
// it), so readers come and go with a restart. Close gives pcscd back, with
// both readers, to the other test processes.
type Control struct {
	s       *Stack
	unlock  func() // the start lock, held until Close: no process joins meanwhile
	noConf  string // an empty reader configuration directory
	readers bool   // the running pcscd has vpcd's readers
	running bool
}

// Control waits (up to half a minute) until this process is pcscd's only
// user and takes it for itself; ErrShared says other processes stayed.
func (s *Stack) Control() (*Control, error) {
	if s == nil || s.users == nil {
		return nil, errors.New("pcsctest: Control of a stack that is not started")
	}
	deadline := time.Now().Add(sharedWait)
	for {
		unlock, err := flockPath(startLockPath(), syscall.LOCK_EX)
		if err != nil {
			return nil, err
		}
		if syscall.Flock(int(s.users.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			dir, err := os.MkdirTemp("", "multicert-pcscd-noreaders-")
			if err != nil {
				s.share()
				unlock()
				return nil, err
			}
			return &Control{s: s, unlock: unlock, noConf: dir, readers: true, running: true}, nil
		}
		// A failed conversion drops the shared lock: take it again. The
		// others must leave, which takes the start lock: let it go.
		s.share()
		unlock()
		if time.Now().After(deadline) {
			return nil, ErrShared
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (s *Stack) share() { _ = syscall.Flock(int(s.users.Fd()), syscall.LOCK_SH) }

// Stop stops pcscd, whoever started it, and waits until it no longer
// answers.
func (c *Control) Stop() error {
	stopDaemon()
	pids, err := daemonPIDs()
	if err != nil {
		return err
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
			return fmt.Errorf("stop pcscd (pid %d): %w (run the tests as root)", pid, err)
		}
		waitExit(pid)
	}
	c.running = false
	if answers() {
		return errors.New("pcscd still answers after it was stopped (socket-activated by systemd?)")
	}
	return nil
}

// Start starts pcscd: with vpcd's two readers, or with no reader at all.
func (c *Control) Start(readers bool) error {
	if c.running {
		return errors.New("pcsctest: Start while pcscd runs")
	}
	var args []string
	if !readers {
		args = []string{"--config", c.noConf}
	}
	if err := startDaemon(args...); err != nil {
		return err
	}
	c.running, c.readers = true, readers
	if readers {
		return waitReaders()
	}
	return nil
}

// Close leaves pcscd running with both readers and shares it again.
func (c *Control) Close() error {
	if c.unlock == nil {
		return nil
	}
	var err error
	if !c.running || !c.readers {
		if err = c.Stop(); err == nil {
			err = c.Start(true)
		}
	}
	c.s.share()
	c.unlock()
	c.unlock = nil
	os.RemoveAll(c.noConf)
	return err
}

// daemonPIDs lists the live pcscd processes.
func daemonPIDs() ([]int, error) {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		i, j := strings.IndexByte(string(b), '('), strings.LastIndexByte(string(b), ')')
		if i < 0 || j < i || string(b[i+1:j]) != "pcscd" {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b[:i])))
		if err == nil && !exited(pid) {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// waitExit waits until pid has exited, killing it after stopTimeout.
func waitExit(pid int) {
	deadline := time.Now().Add(stopTimeout)
	for !exited(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			deadline = time.Now().Add(stopTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
