package memory

import (
	"bufio"
	"bytes"
	"math/bits"
	"os"
	"strconv"
	"strings"
	"sync"
)

// The default bound of the cache (Config.MaxSizeMB = 0).
const (
	// DefaultSizeFraction: the default bound is this fraction of the
	// memory available to the process.
	DefaultSizeFraction = 1.0 / 8
	// MinDefaultSizeMB and MaxDefaultSizeMB clamp the default bound.
	MinDefaultSizeMB = 16
	MaxDefaultSizeMB = 1024
	// FallbackMemoryMB is the memory assumed when it cannot be read (not
	// Linux, no /proc): the default bound is then 256 MB.
	FallbackMemoryMB = 2048
	// minShardMB is the least a shard holds when Config.Shards is left to
	// its default on a bounded cache, so that values up to about 1 MB fit.
	minShardMB = 1
)

var availableMB = sync.OnceValue(func() int {
	return availableMemoryMB(os.ReadFile)
})

// DefaultMaxSizeMB returns the bound used when Config.MaxSizeMB is 0: an
// eighth of the memory available to the process (the lowest of its cgroup
// v2 or v1 memory limit and the machine's MemTotal, read once), clamped to
// [16, 1024] MB; 256 MB where that memory cannot be read.
func DefaultMaxSizeMB() int {
	return defaultSizeFor(availableMB())
}

func defaultSizeFor(memMB int) int {
	return min(max(int(float64(memMB)*DefaultSizeFraction), MinDefaultSizeMB), MaxDefaultSizeMB)
}

// defaultShards is Config.Shards' default for a cache of maxMB (-1 =
// unbounded): DefaultShards, or the largest power of two that leaves each
// shard minShardMB.
func defaultShards(maxMB int) int {
	if maxMB <= 0 || maxMB/minShardMB >= DefaultShards {
		return DefaultShards
	}
	return 1 << (bits.Len(uint(maxMB/minShardMB)) - 1)
}

// availableMemoryMB reads the memory limit of the process in MB through
// read (os.ReadFile; a parameter for the tests).
func availableMemoryMB(read func(string) ([]byte, error)) int {
	best := 0
	consider := func(bytes uint64) {
		mb := int(min(bytes>>20, 1<<40))
		if mb > 0 && (best == 0 || mb < best) {
			best = mb
		}
	}
	// cgroup v2, then v1; "max" or a huge number means no limit.
	if b, err := read("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil {
			consider(n)
		}
	}
	if b, err := read("/sys/fs/cgroup/memory/memory.limit_in_bytes"); err == nil {
		if n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && n < 1<<60 {
			consider(n)
		}
	}
	if b, err := read("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) >= 2 && f[0] == "MemTotal:" {
				if kb, err := strconv.ParseUint(f[1], 10, 64); err == nil {
					consider(kb << 10)
				}
				break
			}
		}
	}
	if best == 0 {
		return FallbackMemoryMB
	}
	return best
}
