package testserver

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

func roundTrip(t *testing.T, addr, send, want string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprint(c, send)
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(line, want) {
		t.Fatalf("got %q, want prefix %q", line, want)
	}
}

func TestMemcachedStartsAndRestarts(t *testing.T) {
	s := Memcached(t)
	roundTrip(t, s.Addr, "version\r\n", "VERSION")
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, s.Addr, "version\r\n", "VERSION")
}

func TestRedisStarts(t *testing.T) {
	s := Redis(t)
	roundTrip(t, s.Addr, "PING\r\n", "+PONG")
}

func TestProxyCountsRoundTrips(t *testing.T) {
	s := Redis(t)
	p, err := NewProxy(s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := net.DialTimeout("tcp", p.Addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	ask := func(send string, lines int) {
		t.Helper()
		fmt.Fprint(c, send)
		for range lines {
			if _, err := r.ReadString('\n'); err != nil {
				t.Fatal(err)
			}
		}
	}
	ask("PING\r\n", 1)
	ask("PING\r\n", 1)
	if n := p.RoundTrips(); n != 2 {
		t.Fatalf("two commands one after the other: %d round trips; want 2", n)
	}
	p.Reset()
	ask("PING\r\nPING\r\nPING\r\n", 3) // a pipeline: one round trip
	if n := p.RoundTrips(); n != 1 {
		t.Fatalf("a pipeline of three: %d round trips; want 1", n)
	}
}

func TestPauseResume(t *testing.T) {
	s := Redis(t)
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	c, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	fmt.Fprint(c, "PING\r\n")
	r := bufio.NewReader(c)
	if _, err := r.ReadString('\n'); err == nil {
		t.Fatal("a paused server answered")
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "+PONG") {
		t.Fatalf("after Resume: %q, %v", line, err)
	}
}
