package redis

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	goredis "github.com/redis/go-redis/v9"
)

// go-redis has one process-wide logger (redis.SetLogger) for its own
// messages: connection pool failures, sentinel failovers, truncated
// durations. By default it prints them to standard error through package
// log, beside the program's slog output. New installs, once per process,
// a logger that forwards them to the slog loggers of the open drivers
// (Config.Logger, which the region fills with its own), each line once
// per distinct logger, at warn level with the attribute
// component=go-redis; with no driver open, to slog.Default(). A program
// that wants go-redis's lines elsewhere calls goredis.SetLogger after
// New.
var goredisLog = &logRouter{loggers: map[*Driver]*slog.Logger{}}

// logRouter is the go-redis logger that New installs.
type logRouter struct {
	install sync.Once
	mu      sync.Mutex
	loggers map[*Driver]*slog.Logger
}

// add routes go-redis's lines to l while d is open.
func (lr *logRouter) add(d *Driver, l *slog.Logger) {
	lr.install.Do(func() { goredis.SetLogger(lr) })
	lr.mu.Lock()
	lr.loggers[d] = l
	lr.mu.Unlock()
}

// remove stops routing lines to d's logger (at Close).
func (lr *logRouter) remove(d *Driver) {
	lr.mu.Lock()
	delete(lr.loggers, d)
	lr.mu.Unlock()
}

// Printf implements go-redis's internal.Logging.
func (lr *logRouter) Printf(ctx context.Context, format string, v ...any) {
	msg := strings.TrimSpace(fmt.Sprintf(format, v...))
	if ctx == nil {
		ctx = context.Background()
	}
	lr.mu.Lock()
	targets := make([]*slog.Logger, 0, len(lr.loggers))
	for _, l := range lr.loggers {
		seen := false
		for _, t := range targets {
			seen = seen || t == l
		}
		if !seen {
			targets = append(targets, l)
		}
	}
	lr.mu.Unlock()
	if len(targets) == 0 {
		targets = append(targets, slog.Default())
	}
	for _, l := range targets {
		l.WarnContext(ctx, msg, "component", "go-redis")
	}
}
