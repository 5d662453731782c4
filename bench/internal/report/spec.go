// Package report turns the output of the bench package's benchmarks into
// REPORT.md and report.svg: it knows which benchmarks to run (Plan), which
// pairs to compare and against what goal (Comparisons), summarises the
// repeated measurements with benchstat's statistics (the median and its
// confidence interval from golang.org/x/perf/benchmath) and renders the
// table and the chart.
package report

import "strconv"

// Step is a set of benchmarks run Count times (rounds) with -benchtime
// Benchtime. Each round runs every benchmark once, in a process of its
// own, so that the sides of a comparison alternate.
type Step struct {
	// Name is shown in the progress lines.
	Name string
	// Bench is the -test.bench pattern (top-level names only).
	Bench string
	// Benchtime is the -test.benchtime value ("500ms", "20x").
	Benchtime string
	// Count is the number of rounds.
	Count int
	// Env is added to the binary's environment.
	Env []string
}

// PlanOptions sizes a Plan.
type PlanOptions struct {
	// Count repeats each benchmark (benchstat wants at least 6 for a
	// confidence interval of the median at 95%).
	Count int
	// Benchtime is the -benchtime of the per-operation benchmarks.
	Benchtime string
	// ColdStampedes and StaleStampedes are the stampedes per measurement.
	ColdStampedes, StaleStampedes int
	// Sessions is the number of sessions of the memory measure.
	Sessions int
	// Entries is the number of entries of the objects memory measure.
	Entries int
	// Soak is the duration of each session soak (a Go duration).
	Soak string
}

// DefaultPlanOptions keep a full run near five minutes on two cores.
var DefaultPlanOptions = PlanOptions{Count: 8, Benchtime: "400ms", ColdStampedes: 10, StaleStampedes: 3, Sessions: 1_000_000,
	Entries: 1_000_000, Soak: "20s"}

// Plan returns the steps of a report run.
func Plan(o PlanOptions) []Step {
	return []Step{
		{Name: "in-process hit paths, cookies, sessions", Count: o.Count, Benchtime: o.Benchtime,
			Bench: "^Benchmark(GetHit|GetOrCreateHit|ClockRead|TypedGet|LoaderHit|ObjectsGet|ObjectsGetOrCreateHit|CookieDecode|CookieDecodeEncrypted|Middleware|CookieStore|FileStore)$"},
		{Name: "memcached and redis", Count: o.Count, Benchtime: o.Benchtime,
			Bench: "^Benchmark(MemcachedMultiGet100|MemcachedGetOrCreateHit|RedisGetOrCreateHit|MemcachedRegenerate|RedisRegenerate|MemcachedLockCycle|RedisLockCycle|RedisMiddleware|SessionRoundTrips|LockRoundTrips|CASRoundTrips|CompareAndSet)$"},
		{Name: "cold stampedes", Count: o.Count, Benchtime: strconv.Itoa(o.ColdStampedes) + "x",
			Bench: "^BenchmarkColdStampede$"},
		{Name: "stale stampedes", Count: o.Count, Benchtime: strconv.Itoa(o.StaleStampedes) + "x",
			Bench: "^BenchmarkStaleStampede$"},
		{Name: "memory per session", Count: 1, Benchtime: "1x",
			Bench: "^BenchmarkSessionMemory$", Env: []string{"GOSESS_BENCH_SESSIONS=" + strconv.Itoa(o.Sessions)}},
		{Name: "memory per entry, objects driver and otter", Count: 1, Benchtime: "1x",
			Bench: "^BenchmarkObjectsMemory$", Env: []string{"GOSESS_BENCH_ENTRIES=" + strconv.Itoa(o.Entries)}},
		{Name: "session soak, memory driver bounded, then unbounded", Count: 1, Benchtime: "1x",
			Bench: "^BenchmarkSessionSoak$", Env: []string{"GOSESS_BENCH_SOAK=" + o.Soak}},
	}
}

// GoalKind says how a comparison is judged.
type GoalKind int

const (
	// ReportOnly rows have no goal.
	ReportOnly GoalKind = iota
	// RatioAtMost passes when ours/anchor <= Goal.Value.
	RatioAtMost
	// RatioBelow passes when ours/anchor < Goal.Value.
	RatioBelow
	// ValueAtMost passes when ours <= Goal.Value (no anchor needed).
	ValueAtMost
	// ValueBelow passes when ours < Goal.Value.
	ValueBelow
)

// Goal is the target of a comparison.
type Goal struct {
	Kind  GoalKind
	Value float64
}

// Comparison is one row of the report.
type Comparison struct {
	// Issue is the issue that asked for it.
	Issue string
	// Title describes the row.
	Title string
	// Bench is the benchmark's name without "Benchmark".
	Bench string
	// Ours and Anchor are impl= values of its sub-benchmarks; for a
	// benchmark without sub-benchmarks Ours is "" and Anchor too.
	Ours, Anchor string
	// Unit is the unit compared, as the benchmark printed it ("ns/op",
	// "p99-wait-ns", "heap/stored-x").
	Unit string
	Goal Goal
	// Note is printed under the table.
	Note string
}

// Comparisons are the rows of the report, in order.
var Comparisons = []Comparison{
	{Issue: "2", Title: "Get hit, memory driver, vs raw bigcache.Get", Bench: "GetHit", Ours: "region", Anchor: "bigcache",
		Unit: "ns/op", Goal: Goal{RatioAtMost, 1.2}},
	{Issue: "2", Title: "GetOrCreate hit vs raw bigcache.Get", Bench: "GetOrCreateHit", Ours: "region", Anchor: "bigcache",
		Unit: "ns/op", Goal: Goal{RatioAtMost, 1.3}},
	{Issue: "2", Title: "calibration: one monotonic clock read (time.Since) on this machine", Bench: "ClockRead", Unit: "ns/op",
		Note: "what a read of the precise clock costs here. The region judges freshness with a coarse clock advanced every millisecond (region.ClockGranularity), so rows 1 and 2 no longer pay it on every hit."},
	{Issue: "2", Title: "typed struct Get vs gocache marshaler on bigcache", Bench: "TypedGet", Ours: "region", Anchor: "gocache",
		Unit: "ns/op", Goal: Goal{RatioAtMost, 0.7},
		Note: "region uses its default codec, region.FastJSONCodec (JSON with github.com/goccy/go-json); gocache's marshaler uses msgpack (vmihailenco/msgpack)."},
	{Issue: "2", Title: "typed struct Get, region with msgpackcodec, vs gocache marshaler", Bench: "TypedGet", Ours: "region-msgpack", Anchor: "gocache",
		Unit: "ns/op", Note: "the same codec on both sides (MessagePack): what is left is the region's own read path."},
	{Issue: "9", Title: "typed struct Get, region with encoding/json (the former default), vs gocache marshaler", Bench: "TypedGet", Ours: "region-stdjson", Anchor: "gocache",
		Unit: "ns/op", Note: "the codec the region used by default before issue 9; it writes the same JSON as the new default."},
	{Issue: "2", Title: "cold stampede, 1000 goroutines: creator calls", Bench: "ColdStampede", Ours: "region", Anchor: "singleflight",
		Unit: "creator-calls/op", Goal: Goal{ValueAtMost, 1}},
	{Issue: "2", Title: "cold stampede: wall time per stampede (10 ms creator)", Bench: "ColdStampede", Ours: "region", Anchor: "singleflight",
		Unit: "ns/op"},
	{Issue: "2", Title: "stale stampede, 200 ms creator: p99 wait of the others", Bench: "StaleStampede", Ours: "region", Anchor: "singleflight",
		Unit: "p99-wait-ns", Goal: Goal{RatioBelow, 0.01}},
	{Issue: "5", Title: "GetOrCreate hit (struct) vs otter v2 loader", Bench: "LoaderHit", Ours: "region", Anchor: "otter",
		Unit: "ns/op", Note: "otter keeps Go values on the heap and never encodes; the region encodes so that any driver can hold the value."},
	{Issue: "5", Title: "cold stampede: creator calls vs otter v2 loader", Bench: "ColdStampede", Ours: "region", Anchor: "otter",
		Unit: "creator-calls/op"},
	{Issue: "9", Title: "objects driver: typed Get vs otter v2 GetIfPresent", Bench: "ObjectsGet", Ours: "objects", Anchor: "otter",
		Unit: "ns/op", Goal: Goal{RatioAtMost, 1.5},
		Note: "both hold the User values on the heap without encoding; the region adds freshness, invalidation and its counters, and the driver boxes each value in an interface (one more pointer to follow than otter's typed nodes)."},
	{Issue: "9", Title: "objects driver: GetOrCreate hit vs otter v2 Get with a loader", Bench: "ObjectsGetOrCreateHit", Ours: "objects", Anchor: "otter",
		Unit: "ns/op", Goal: Goal{RatioAtMost, 1.5}},
	{Issue: "9", Title: "cold stampede on the objects driver, 1000 goroutines: creator calls", Bench: "ColdStampede", Ours: "objects", Anchor: "otter",
		Unit: "creator-calls/op", Goal: Goal{ValueAtMost, 1}},
	{Issue: "9", Title: "heap per entry, 1M User entries: objects driver vs otter", Bench: "ObjectsMemory", Ours: "objects", Anchor: "otter",
		Unit: "heap-bytes/entry",
		Note: "live heap growth after a full GC divided by the entries; the keys are allocated before the baseline. The objects driver boxes each value (an interface) and keeps its creation time, TTL and version beside it."},
	{Issue: "9", Title: "session soak, memory driver bounded at 64 MB: RSS at the end / at half time", Bench: "SessionSoak", Ours: "bounded-64MB",
		Unit: "rss-end/mid-x", Goal: Goal{ValueAtMost, 1.1},
		Note: "sessions saved at a steady rate (20,000 a second, half new, half saved again) for the soak's duration into a memory region with a one-hour expiration; RSS read from /proc. A ratio near 1 means memory levelled off. The default bound is an eighth of the machine's memory (at most 1 GB): it levels off the same way, later."},
	{Issue: "9", Title: "session soak, bounded at 64 MB: RSS at the end (MiB)", Bench: "SessionSoak", Ours: "bounded-64MB", Unit: "rss-end-MiB"},
	{Issue: "9", Title: "session soak, unbounded (max_size_mb -1): RSS at the end / at half time", Bench: "SessionSoak", Ours: "unbounded",
		Unit: "rss-end/mid-x", Note: "for contrast: without a bound, the bytes of overwritten sessions stay for the life window and RSS keeps growing. It runs after the bounded soak in the same process, so it starts from that RSS."},
	{Issue: "9", Title: "session soak, unbounded: RSS at the end (MiB)", Bench: "SessionSoak", Ours: "unbounded", Unit: "rss-end-MiB"},
	{Issue: "9", Title: "session soak, bounded: live sessions evicted for space (region Stats.Evictions)", Bench: "SessionSoak", Ours: "bounded-64MB", Unit: "evictions"},
	{Issue: "3", Title: "calibration: one memcached GET round trip (loopback)", Bench: "MemcachedLockCycle", Ours: "gomemcache-get", Unit: "ns/op",
		Note: "on a virtual machine the loopback round trip is much longer when the machine is idle (halted virtual CPUs wake slowly) than when it is busy; every network row moves with it."},
	{Issue: "3", Title: "calibration: one redis GET round trip (loopback)", Bench: "RedisLockCycle", Ours: "goredis-get", Unit: "ns/op"},
	{Issue: "3", Title: "memcached multi-get, 100 keys, vs gocache memcache store", Bench: "MemcachedMultiGet100", Ours: "region", Anchor: "gocache",
		Unit: "ns/op", Goal: Goal{RatioAtMost, 0.1},
		Note: "gocache's memcache store has no multi-get, so it pays 100 round trips where the region pays one plus the transfer and parsing of 100 values: the ratio falls as the round trip grows (see the calibration row), and is at its least favourable on a fast loopback."},
	{Issue: "3", Title: "memcached multi-get, 100 keys, vs gomemcache's own GetMulti", Bench: "MemcachedMultiGet100", Ours: "region", Anchor: "gomemcache-multi",
		Unit: "ns/op"},
	{Issue: "3", Title: "memcached GetOrCreate hit vs raw gomemcache Get", Bench: "MemcachedGetOrCreateHit", Ours: "region", Anchor: "gomemcache",
		Unit: "ns/op"},
	{Issue: "3", Title: "redis GetOrCreate hit vs raw go-redis Get", Bench: "RedisGetOrCreateHit", Ours: "region", Anchor: "goredis",
		Unit: "ns/op"},
	{Issue: "3", Title: "memcached regeneration: distributed vs in-process lock", Bench: "MemcachedRegenerate", Ours: "distributed-lock", Anchor: "local-lock",
		Unit: "ns/op"},
	{Issue: "3", Title: "redis regeneration: distributed vs in-process lock", Bench: "RedisRegenerate", Ours: "distributed-lock", Anchor: "local-lock",
		Unit: "ns/op"},
	{Issue: "3", Title: "memcached lock acquire+release, in GET round trips", Bench: "MemcachedLockCycle", Ours: "lock-cycle", Anchor: "gomemcache-get",
		Unit: "ns/op"},
	{Issue: "3", Title: "redis lock acquire+release, in GET round trips", Bench: "RedisLockCycle", Ours: "lock-cycle", Anchor: "goredis-get",
		Unit: "ns/op"},
	{Issue: "4", Title: "request through Middleware (memory region) vs scs LoadAndSave (memstore)", Bench: "Middleware", Ours: "gosess", Anchor: "scs",
		Unit: "ns/op", Goal: Goal{RatioAtMost, 1}},
	{Issue: "4", Title: "signed cookie verification vs securecookie Decode", Bench: "CookieDecode", Ours: "gosess", Anchor: "securecookie",
		Unit: "ns/op", Goal: Goal{RatioAtMost, 0.5}},
	{Issue: "4", Title: "encrypted cookie decode (AES-GCM vs AES-CTR+HMAC)", Bench: "CookieDecodeEncrypted", Ours: "gosess", Anchor: "securecookie",
		Unit: "ns/op"},
	{Issue: "5", Title: "cookie backend vs gorilla/sessions CookieStore (request)", Bench: "CookieStore", Ours: "gosess", Anchor: "gorilla",
		Unit: "ns/op"},
	{Issue: "5", Title: "file backend vs gorilla/sessions FilesystemStore (request)", Bench: "FileStore", Ours: "gosess", Anchor: "gorilla",
		Unit: "ns/op", Note: "the file backend fsyncs each saved file and its directory by default (durable sessions); FilesystemStore does not. The next row turns fsync off."},
	{Issue: "5", Title: "file backend, sync=false, vs gorilla FilesystemStore", Bench: "FileStore", Ours: "gosess-nosync", Anchor: "gorilla",
		Unit: "ns/op"},
	{Issue: "5, 8", Title: "dogpile backend on redis vs scs redisstore (request)", Bench: "RedisMiddleware", Ours: "gosess", Anchor: "scs",
		Unit: "ns/op", Goal: Goal{RatioAtMost, 1},
		Note: "default arguments: the load is one GET, the save one compare-and-set script (EVALSHA) done by redis, so concurrent requests in several processes are detected; scs's redisstore saves with an unconditional SET."},
	{Issue: "8", Title: "memcached lock acquire+release, round trips", Bench: "LockRoundTrips", Ours: "memcached",
		Unit: "round-trips/op", Goal: Goal{ValueAtMost, 2},
		Note: "the region's mutex for a key with distributed_lock, through the counting proxy: meta commands (ms in add mode returning the CAS id, md comparing it). Before issue 8 the cycle was 5 round trips (add refused by the previous release's marker, gets, cas; gets, cas to release)."},
	{Issue: "8", Title: "redis lock acquire+release, round trips", Bench: "LockRoundTrips", Ours: "redis",
		Unit: "round-trips/op", Goal: Goal{ValueAtMost, 2}},
	{Issue: "8", Title: "compare-and-set (GetForUpdate + CompareAndSet) round trips, memcached", Bench: "CASRoundTrips", Ours: "memcached",
		Unit: "round-trips/op", Goal: Goal{ValueAtMost, 2},
		Note: "gets, then cas (add for an absent key); redis: GET, then one script. The -locked sides check the version under the distributed lock with the driver's compare-and-set hidden: the read, then lock, get, set, unlock."},
	{Issue: "8", Title: "compare-and-set round trips, redis", Bench: "CASRoundTrips", Ours: "redis",
		Unit: "round-trips/op", Goal: Goal{ValueAtMost, 2}},
	{Issue: "8", Title: "compare-and-set round trips, memcached: by the server vs under the lock", Bench: "CASRoundTrips", Ours: "memcached", Anchor: "memcached-locked",
		Unit: "round-trips/op"},
	{Issue: "8", Title: "compare-and-set time, memcached: by the server vs under the lock", Bench: "CompareAndSet", Ours: "memcached", Anchor: "memcached-locked",
		Unit: "ns/op"},
	{Issue: "8", Title: "compare-and-set time, redis: by the server vs under the lock", Bench: "CompareAndSet", Ours: "redis", Anchor: "redis-locked",
		Unit: "ns/op"},
	{Issue: "8", Title: "compare-and-set time, file driver (flock, sync=false)", Bench: "CompareAndSet", Ours: "file",
		Unit: "ns/op"},
	{Issue: "8", Title: "compare-and-set time, memory driver", Bench: "CompareAndSet", Ours: "memory",
		Unit: "ns/op"},
	{Issue: "8", Title: "session save round trips, redis, default arguments (compare-and-set)", Bench: "SessionRoundTrips", Ours: "redis",
		Unit: "save-round-trips/op", Goal: Goal{ValueAtMost, 1},
		Note: "network round trips counted by a proxy between the driver and the server (internal/testserver.Proxy), per request: the load, then the save of a changed session through the dogpile backend."},
	{Issue: "8", Title: "session save round trips, memcached, default arguments (compare-and-set)", Bench: "SessionRoundTrips", Ours: "memcached",
		Unit: "save-round-trips/op", Goal: Goal{ValueAtMost, 1}},
	{Issue: "8", Title: "session load round trips, redis", Bench: "SessionRoundTrips", Ours: "redis",
		Unit: "load-round-trips/op", Goal: Goal{ValueAtMost, 1}},
	{Issue: "8", Title: "session load round trips, memcached", Bench: "SessionRoundTrips", Ours: "memcached",
		Unit: "load-round-trips/op", Goal: Goal{ValueAtMost, 1}},
	{Issue: "8", Title: "session save round trips, redis: compare-and-set vs lock+get+set+unlock", Bench: "SessionRoundTrips", Ours: "redis", Anchor: "redis-locked",
		Unit: "save-round-trips/op",
		Note: "the anchor is the save before issue 8: distributed_lock on, the version checked under the lock (lock, get, set, unlock), here with the driver's compare-and-set hidden from the region."},
	{Issue: "8", Title: "session save round trips, memcached: compare-and-set vs lock+get+set+unlock", Bench: "SessionRoundTrips", Ours: "memcached", Anchor: "memcached-locked",
		Unit: "save-round-trips/op"},
	{Issue: "5", Title: "memory per session / stored bytes, memory region", Bench: "SessionMemory",
		Unit: "heap/stored-x", Goal: Goal{ValueAtMost, 1.5},
		Note: "heap growth (runtime.MemStats.HeapAlloc after a full GC, baseline taken before the region exists) divided by the key and value bytes the region handed to the driver for each session (the session record in its envelope, and the key). The session's own data (id and values) is data-bytes/session below."},
	{Issue: "5", Title: "heap bytes per session", Bench: "SessionMemory", Unit: "heap-bytes/session"},
	{Issue: "5", Title: "stored bytes per session (key + value given to the driver)", Bench: "SessionMemory", Unit: "stored-bytes/session"},
	{Issue: "5", Title: "data bytes per session (id + values)", Bench: "SessionMemory", Unit: "data-bytes/session"},
	{Issue: "5", Title: "GC pause p99 with the sessions in the heap", Bench: "SessionMemory",
		Unit: "gc-pause-p99-ns", Goal: Goal{ValueBelow, 5e6},
		Note: "stop-the-world pauses of the GC (runtime/metrics /sched/pauses/total/gc:seconds, upper bound of the histogram bucket) over the insertion and three seconds of loads and saves of random sessions. Other processes competing for the CPUs lengthen pauses."},
	{Issue: "5", Title: "GC pause max", Bench: "SessionMemory", Unit: "gc-pause-max-ns"},
}
