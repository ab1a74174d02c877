package agent

import (
	"sync"
	"time"
)

// limiter is a token bucket per key: each key may spend n tokens at once and
// gets n back per period, continuously.
type limiter struct {
	mu      sync.Mutex
	burst   float64
	perSec  float64
	now     func() time.Time
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(n int, period time.Duration, now func() time.Time) *limiter {
	return &limiter{
		burst:   float64(n),
		perSec:  float64(n) / period.Seconds(),
		now:     now,
		buckets: map[string]*bucket{},
	}
}

// allow takes a token of key's bucket. When there is none, it reports how
// long until there is one.
func (l *limiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b // keys are allowed origins only: the map stays small
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = min(l.burst, b.tokens+el*l.perSec)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.perSec * float64(time.Second))
	return false, wait
}
