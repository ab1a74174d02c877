package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
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
