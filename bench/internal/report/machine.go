package report

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// ReadMachine fills in what /proc tells about the machine: CPU model,
// logical cores, memory, kernel. Fields it cannot read stay empty.
func ReadMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), CPU: "unknown CPU"}
	if v := procField("/proc/cpuinfo", "model name"); v != "" {
		m.CPU = v
	}
	if v := procField("/proc/meminfo", "MemTotal"); v != "" {
		m.Memory = v
		var kb float64
		if _, err := fmt.Sscanf(v, "%g kB", &kb); err == nil {
			m.Memory = fmt.Sprintf("%.1f GiB", kb/(1<<20))
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// LoadAverage returns the three load averages of /proc/loadavg, or "".
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], ", ")
}

// procField returns the value of the first "key : value" line of file.
func procField(file, key string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return ""
}

// Keys of the configuration lines MachineHeader writes.
const (
	keyDate      = "gosess-date"
	keyCPU       = "gosess-cpu"
	keyCores     = "gosess-cores"
	keyMemory    = "gosess-memory"
	keyKernel    = "gosess-kernel"
	keyGo        = "gosess-go"
	keyLoadStart = "gosess-loadavg-start"
	keyLoadEnd   = "gosess-loadavg-end"
	keyDuration  = "gosess-duration"
	keyCommand   = "gosess-command"
)

// MachineHeader renders m as benchfmt configuration lines ("key: value"),
// which head results.txt; benchstat and Parse keep them as configuration.
func MachineHeader(m Machine) string {
	var b strings.Builder
	for _, kv := range [][2]string{
		{keyDate, m.Date.UTC().Format(time.RFC3339)}, {keyCPU, m.CPU}, {keyCores, strconv.Itoa(m.Cores)},
		{keyMemory, m.Memory}, {keyKernel, m.Kernel}, {keyGo, m.GoVersion},
		{keyLoadStart, m.LoadStart}, {keyLoadEnd, m.LoadEnd}, {keyDuration, m.Duration.Round(time.Second).String()},
		{keyCommand, m.Command},
	} {
		if kv[1] != "" {
			fmt.Fprintf(&b, "%s: %s\n", kv[0], kv[1])
		}
	}
	return b.String()
}

// MachineFromHeader returns m with the fields found in the configuration
// lines written by MachineHeader (saved output read again with -in). The
// command becomes the original one.
func MachineFromHeader(m Machine, cfg map[string]string) Machine {
	if t, err := time.Parse(time.RFC3339, cfg[keyDate]); err == nil {
		m.Date = t
	}
	if n, err := strconv.Atoi(cfg[keyCores]); err == nil {
		m.Cores = n
	}
	if d, err := time.ParseDuration(cfg[keyDuration]); err == nil {
		m.Duration = d
	}
	for key, field := range map[string]*string{
		keyCPU: &m.CPU, keyMemory: &m.Memory, keyKernel: &m.Kernel, keyGo: &m.GoVersion,
		keyLoadStart: &m.LoadStart, keyLoadEnd: &m.LoadEnd, keyCommand: &m.Command,
	} {
		if v := cfg[key]; v != "" {
			*field = v
		}
	}
	if _, ok := cfg[keyCPU]; !ok && cfg["cpu"] != "" {
		m.CPU = cfg["cpu"] // go test's own header
	}
	return m
}
