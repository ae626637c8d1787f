package mipush

// The pipeline's side of its pools (engine.Host): what the engine's
// Sender passes on to the client.

// Closed reports whether Close has begun.
func (e *pipeline) Closed() bool { return e.closed.Load() }

// Answers counts the answers the client has had from any server.
func (e *pipeline) Answers() int64 {
	return e.count.succeeded.Load() + e.count.failedAPI.Load()
}

// DialFailed counts a failed dial for Metrics.
func (e *pipeline) DialFailed() { e.count.dialErrors.Add(1) }

// ConnOpened tells the Observer, if any, of a new connection.
func (e *pipeline) ConnOpened(addr, protocol string) {
	if e.s.Observer != nil {
		e.s.Observer.ConnOpened(ConnInfo{Host: addr, Protocol: protocol})
	}
}

// ConnClosed tells the Observer, if any, that a connection ended.
func (e *pipeline) ConnClosed(addr, protocol string, err error) {
	if e.s.Observer != nil {
		e.s.Observer.ConnClosed(ConnInfo{Host: addr, Protocol: protocol}, err)
	}
}
