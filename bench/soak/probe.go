package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/multicert/multicert/bench/internal/loadtest"
)

// probe reads the server's memory from /proc and its goroutines from its
// Prometheus metrics; what it cannot read is -1.
type probe struct {
	pid     int
	metrics string
	client  *http.Client
}

func newProbe(pid int, metrics string) probe {
	c := loadtest.NewClient(1)
	c.Timeout = 5 * time.Second
	return probe{pid: pid, metrics: metrics, client: c}
}

// rss returns the server's resident set and its anonymous part (heap and
// stacks; the rest is files mapped, such as SQLite's memory-mapped
// database), in kB.
func (p probe) rss() (rss, anon int64) {
	rss, anon = -1, -1
	if p.pid == 0 {
		return
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid))
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			continue
		}
		switch name {
		case "VmRSS":
			rss = n
		case "RssAnon":
			anon = n
		}
	}
	return
}

// sampler reads the server each second: its memory, averaged over a
// period because GC makes a single reading swing by a fifth, and its
// goroutines, of which it keeps the fewest, because requests in flight
// (many, when the server falls behind for a moment) come and go with
// theirs: a leak raises the floor.
type sampler struct {
	mu           sync.Mutex
	n, rss, anon int64
	goroutines   int
}

// sample reads the server each second until done.
func (p probe) sample(done <-chan struct{}) *sampler {
	s := &sampler{goroutines: -1}
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			rss, anon := p.rss()
			g := p.goroutines()
			s.mu.Lock()
			if rss >= 0 && anon >= 0 {
				s.n, s.rss, s.anon = s.n+1, s.rss+rss, s.anon+anon
			}
			if g >= 0 && (s.goroutines < 0 || g < s.goroutines) {
				s.goroutines = g
			}
			s.mu.Unlock()
		}
	}()
	return s
}

// take returns the mean memory and the fewest goroutines since the last
// call (-1 for none).
func (s *sampler) take() (rss, anon int64, goroutines int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rss, anon, goroutines = -1, -1, s.goroutines
	if s.n > 0 {
		rss, anon = s.rss/s.n, s.anon/s.n
	}
	s.n, s.rss, s.anon, s.goroutines = 0, 0, 0, -1
	return rss, anon, goroutines
}

// goroutines returns the go_goroutines gauge of the server's metrics.
func (p probe) goroutines() int {
	if p.metrics == "" {
		return -1
	}
	req, err := http.NewRequest(http.MethodGet, p.metrics, nil)
	if err != nil {
		return -1
	}
	res, body, err := loadtest.Do(p.client, req, "", true)
	if err != nil || res.StatusCode != http.StatusOK {
		return -1
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				return int(f)
			}
		}
	}
	return -1
}
