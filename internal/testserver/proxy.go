package testserver

import (
	"net"
	"sync"
	"sync/atomic"
)

// Proxy forwards TCP connections to a server and counts the round trips
// that go through it, so that tests and benchmarks can state what an
// operation costs on the network rather than only how long it took.
//
// A round trip is a turn of a connection's conversation: the client sends
// (one or more writes: a pipeline, or a command line and its data block),
// then the server answers. The proxy counts a round trip each time a
// client sends bytes on a connection where the server spoke last (or
// nobody spoke yet), so a pipeline of ten commands is one round trip and a
// command that waits for the answer of the previous one is another. A
// client that opens a connection and sends a handshake (redis HELLO)
// pays round trips for it like for any command; warm the client up before
// counting.
type Proxy struct {
	// Addr is the host:port clients connect to instead of the server.
	Addr string

	target string
	ln     net.Listener
	trips  atomic.Int64
	wg     sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// NewProxy listens on a free loopback port and forwards every connection
// to target (host:port). Close stops it.
func NewProxy(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{Addr: ln.Addr().String(), target: target, ln: ln, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.accept)
	return p, nil
}

// RoundTrips returns the round trips counted since the proxy started or
// since the last Reset.
func (p *Proxy) RoundTrips() int64 { return p.trips.Load() }

// Reset sets the count back to zero.
func (p *Proxy) Reset() { p.trips.Store(0) }

// Close stops listening, closes every forwarded connection and waits for
// the proxy's goroutines to end.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	err := p.ln.Close()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

// track records c as open; it reports false (and closes c) after Close.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *Proxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(client) {
			return
		}
		p.wg.Go(func() {
			defer p.untrack(client)
			server, err := net.Dial("tcp", p.target)
			if err != nil {
				return
			}
			if !p.track(server) {
				return
			}
			defer p.untrack(server)
			p.forward(client, server)
		})
	}
}

// forward copies both ways until either side closes. clientSpoke is true
// while the client has sent since the server last answered.
func (p *Proxy) forward(client, server net.Conn) {
	var (
		mu          sync.Mutex
		clientSpoke bool
		wg          sync.WaitGroup
	)
	pump := func(dst, src net.Conn, fromClient bool) {
		defer func() {
			// Closing both ends wakes the other pump.
			client.Close()
			server.Close()
		}()
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				mu.Lock()
				if fromClient && !clientSpoke {
					p.trips.Add(1)
				}
				clientSpoke = fromClient
				mu.Unlock()
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return // EOF, or the other pump closed the connection
			}
		}
	}
	wg.Go(func() { pump(server, client, true) })
	wg.Go(func() { pump(client, server, false) })
	wg.Wait()
}
