package memcached

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
)

// metaClient speaks memcached's meta protocol (mg, ms, md: memcached 1.6
// and later) on connections of its own, for the commands gomemcache does
// not have. The distributed lock uses it: "ms ... ME c" adds the lock item
// and returns its CAS id in the same round trip, and "md ... C<id>" deletes
// it only if it still has that id, which the classic protocol cannot do in
// one command.
//
// Keys go to the server gomemcache's ServerList picks for them, and every
// exchange is bounded by the driver's Timeout and by its context's
// deadline and cancellation, so a release on a hung server ends when its
// context says (see driver.UnlockContext).
type metaClient struct {
	servers *memcache.ServerList
	timeout time.Duration
	maxIdle int
	dial    func(ctx context.Context, network, address string) (net.Conn, error)

	mu     sync.Mutex
	idle   map[string][]*metaConn // by server address
	closed bool
}

type metaConn struct {
	nc   net.Conn
	r    *bufio.Reader
	addr string
}

// errMetaProtocol reports an answer the client does not understand: the
// server is older than memcached 1.6 (it answers ERROR to meta commands) or
// something other than memcached listens.
var errMetaProtocol = errors.New("unexpected answer to a meta command (the distributed lock needs memcached 1.6 or later)")

func newMetaClient(servers *memcache.ServerList, cfg Config) *metaClient {
	dial := cfg.DialContext
	if dial == nil {
		d := &net.Dialer{Timeout: cfg.Timeout}
		dial = d.DialContext
	}
	return &metaClient{servers: servers, timeout: cfg.Timeout, maxIdle: cfg.MaxIdleConns, dial: dial,
		idle: map[string][]*metaConn{}}
}

// metaReply is a meta command's answer: its two-letter code ("HD", "NS",
// "EX", "NF", "EN", "VA"), its flags (such as "c123") and, for "VA", the
// value.
type metaReply struct {
	code  string
	flags []string
	value []byte
}

// flag returns the token of the return flag f ("c" of "c123" gives "123").
func (r metaReply) flag(f byte) (string, bool) {
	for _, t := range r.flags {
		if len(t) > 0 && t[0] == f {
			return t[1:], true
		}
	}
	return "", false
}

// do sends one command (its line, and data when it has a data block) to the
// server of key and reads the answer.
func (c *metaClient) do(ctx context.Context, key, line string, data []byte) (metaReply, error) {
	addr, err := c.servers.PickServer(key)
	if err != nil {
		return metaReply{}, err
	}
	deadline := time.Now().Add(c.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	mc, err := c.conn(ctx, addr, deadline)
	if err != nil {
		return metaReply{}, err
	}
	// Cancellation ends a round trip that has started, as the deadline
	// does: it moves the connection's deadline to the past.
	stop := context.AfterFunc(ctx, func() { _ = mc.nc.SetDeadline(time.Unix(1, 0)) })
	reply, err := mc.exchange(line, data, deadline)
	if !stop() || err != nil {
		mc.nc.Close()
		if ctxErr := ctx.Err(); ctxErr != nil && err != nil {
			err = fmt.Errorf("%w (%w)", ctxErr, err)
		}
		return reply, err
	}
	c.put(mc)
	return reply, nil
}

func (mc *metaConn) exchange(line string, data []byte, deadline time.Time) (metaReply, error) {
	if err := mc.nc.SetDeadline(deadline); err != nil {
		return metaReply{}, err
	}
	req := make([]byte, 0, len(line)+len(data)+4)
	req = append(req, line...)
	req = append(req, "\r\n"...)
	if data != nil {
		req = append(req, data...)
		req = append(req, "\r\n"...)
	}
	if _, err := mc.nc.Write(req); err != nil {
		return metaReply{}, err
	}
	head, err := mc.r.ReadSlice('\n')
	if err != nil {
		return metaReply{}, err
	}
	fields := strings.Fields(string(bytes.TrimRight(head, "\r\n")))
	if len(fields) == 0 {
		return metaReply{}, errMetaProtocol
	}
	reply := metaReply{code: fields[0], flags: fields[1:]}
	switch reply.code {
	case "HD", "NS", "EX", "NF", "EN":
		return reply, nil
	case "VA":
		if len(fields) < 2 {
			return reply, errMetaProtocol
		}
		n, err := strconv.Atoi(fields[1])
		if err != nil || n < 0 {
			return reply, errMetaProtocol
		}
		reply.flags = fields[2:]
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(mc.r, buf); err != nil {
			return reply, err
		}
		if !bytes.HasSuffix(buf, []byte("\r\n")) {
			return reply, errMetaProtocol
		}
		reply.value = buf[:n]
		return reply, nil
	case "CLIENT_ERROR", "SERVER_ERROR":
		return reply, fmt.Errorf("memcached: %s", strings.Join(fields, " "))
	}
	return reply, fmt.Errorf("%w: %q", errMetaProtocol, strings.Join(fields, " "))
}

// conn returns an idle connection to addr or dials one.
func (c *metaClient) conn(ctx context.Context, addr net.Addr, deadline time.Time) (*metaConn, error) {
	key := addr.String()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, net.ErrClosed
	}
	if l := c.idle[key]; len(l) > 0 {
		mc := l[len(l)-1]
		c.idle[key] = l[:len(l)-1]
		c.mu.Unlock()
		return mc, nil
	}
	c.mu.Unlock()
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	nc, err := c.dial(dctx, addr.Network(), key)
	if err != nil {
		return nil, err
	}
	return &metaConn{nc: nc, r: bufio.NewReader(nc), addr: key}, nil
}

// put keeps mc for reuse, or closes it when MaxIdleConns are kept already.
func (c *metaClient) put(mc *metaConn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || len(c.idle[mc.addr]) >= c.maxIdle {
		mc.nc.Close()
		return
	}
	c.idle[mc.addr] = append(c.idle[mc.addr], mc)
}

// close closes the idle connections; connections in use are closed when
// their exchange ends.
func (c *metaClient) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for addr, l := range c.idle {
		for _, mc := range l {
			mc.nc.Close()
		}
		delete(c.idle, addr)
	}
}
