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
