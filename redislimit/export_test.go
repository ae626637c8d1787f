package redislimit

// Queued is how many Wait calls of app are in its queue, for tests.
func (l *Limiter) Queued(digest string) int {
	a := l.app(digest)
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.queue)
}
