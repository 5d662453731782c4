// Command report runs gosess's comparative benchmarks and writes
// REPORT.md, report.svg and results.txt (the raw `go test -bench` output)
// in the bench module's directory. Run it from the bench directory:
//
//	cd bench && go run ./cmd/report
//
// It builds the benchmark binary once, runs the steps of the plan (hit
// paths, memcached and redis, stampedes, memory per session), printing
// each result on stderr as it comes, then summarises the repeated
// measurements with benchstat's statistics, compares each pair against its
// goal and renders the report. memcached and redis-server must be on PATH
// for the server rows (they are started on free loopback ports).
//
// Flags:
//
//	-count N       repetitions of each benchmark (default 8)
//	-benchtime T   -benchtime of the per-operation benchmarks (default 400ms)
//	-cold N        cold stampedes per measurement (default 10)
//	-stale N       stale stampedes (200 ms each) per measurement (default 3)
//	-sessions N    sessions of the memory measure (default 1000000)
//	-entries N     entries of the objects driver's memory measure (default 1000000)
//	-soak D        duration of each session soak (default 20s)
//	-quick         a smoke run in well under a minute (figures not meaningful)
//	-in FILE       do not run anything: render the report from saved output
//
// The exit status is 1 when a benchmark step failed (the report is still
// written, with the rows it lacks marked "not measured") and 2 on bad usage.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/gosess/gosess/bench/internal/report"
)

const benchModule = "module github.com/gosess/gosess/bench"

func main() {
	o := report.DefaultPlanOptions
	flag.IntVar(&o.Count, "count", o.Count, "repetitions of each benchmark")
	flag.StringVar(&o.Benchtime, "benchtime", o.Benchtime, "-benchtime of the per-operation benchmarks")
	flag.IntVar(&o.ColdStampedes, "cold", o.ColdStampedes, "cold stampedes per measurement")
	flag.IntVar(&o.StaleStampedes, "stale", o.StaleStampedes, "stale stampedes per measurement")
	flag.IntVar(&o.Sessions, "sessions", o.Sessions, "sessions of the memory measure")
	flag.IntVar(&o.Entries, "entries", o.Entries, "entries of the objects memory measure")
	flag.StringVar(&o.Soak, "soak", o.Soak, "duration of each session soak")
	quick := flag.Bool("quick", false, "smoke run: tiny counts, figures not meaningful")
	in := flag.String("in", "", "render from this saved benchmark output instead of running")
	flag.Parse()
	if flag.NArg() > 0 || o.Count < 1 || o.ColdStampedes < 1 || o.StaleStampedes < 1 || o.Sessions < 1 || o.Entries < 1 {
		fmt.Fprintln(os.Stderr, "usage: go run ./cmd/report [-count N] [-benchtime T] [-cold N] [-stale N] [-sessions N] [-entries N] [-soak D] [-quick] [-in FILE]")
		os.Exit(2)
	}
	if *quick {
		o = report.PlanOptions{Count: 2, Benchtime: "30ms", ColdStampedes: 2, StaleStampedes: 1, Sessions: 20_000,
			Entries: 20_000, Soak: "2s"}
	}
	if err := run(o, *in); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

type stepsFailed []string

func (s stepsFailed) Error() string {
	return "benchmark steps failed: " + strings.Join(s, "; ") + " (the results of those rounds are missing; see REPORT.md)"
}

func run(o report.PlanOptions, in string) error {
	dir, err := moduleDir()
	if err != nil {
		return err
	}
	m := report.ReadMachine()
	m.GoVersion = goVersion()
	m.Date = time.Now()
	m.Command = "cd bench && go run ./cmd/report"
	if args := os.Args[1:]; len(args) > 0 {
		m.Command += " " + strings.Join(args, " ")
	}

	var raw []byte
	var failed stepsFailed
	resultsPath := filepath.Join(dir, "results.txt")
	if in != "" {
		if raw, err = os.ReadFile(in); err != nil {
			return err
		}
		resultsPath = in
		m.Date = fileTime(in)
	} else {
		m.LoadStart = report.LoadAverage()
		start := time.Now()
		raw, failed, err = runPlan(dir, report.Plan(o))
		if err != nil {
			return err
		}
		m.Duration = time.Since(start)
		m.LoadEnd = report.LoadAverage()
		// The run's circumstances head the file as benchfmt
		// configuration lines, so that -in renders the same report.
		raw = append([]byte(report.MachineHeader(m)), raw...)
		if err := os.WriteFile(resultsPath, raw, 0o644); err != nil {
			return err
		}
	}

	res, err := report.Parse(bytes.NewReader(raw), resultsPath)
	if err != nil {
		return err
	}
	if res.Len() == 0 {
		return fmt.Errorf("no benchmark results in %s", resultsPath)
	}
	if in != "" {
		m = report.MachineFromHeader(m, res.Config)
	}
	rows := report.Evaluate(res, report.Comparisons)

	var md, svg bytes.Buffer
	if err := report.WriteMarkdown(&md, m, rows, res, report.Failures(raw), benchstat(dir, resultsPath)); err != nil {
		return err
	}
	if err := report.WriteSVG(&svg, rows); err != nil {
		return err
	}
	for name, b := range map[string][]byte{"REPORT.md": md.Bytes(), "report.svg": svg.Bytes()} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	printSummary(os.Stderr, rows)
	fmt.Fprintf(os.Stderr, "wrote %s, %s and %s\n", filepath.Join(dir, "REPORT.md"), filepath.Join(dir, "report.svg"), resultsPath)
	if len(failed) > 0 {
		return failed
	}
	return nil
}

// moduleDir returns the directory of the bench module, which must be the
// main module of the go command run here.
func moduleDir() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	b, err := os.ReadFile(gomod)
	if err != nil || !bytes.Contains(b, []byte(benchModule+"\n")) {
		return "", fmt.Errorf("run this from the bench directory (cd bench && go run ./cmd/report); the main module here is %q", gomod)
	}
	return filepath.Dir(gomod), nil
}

func goVersion() string {
	out, err := exec.Command("go", "version").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimPrefix(strings.TrimSpace(string(out)), "go version ")
}

func fileTime(name string) time.Time {
	if fi, err := os.Stat(name); err == nil {
		return fi.ModTime()
	}
	return time.Now()
}

// runPlan builds the benchmark binary and runs every step, echoing each
// result line on stderr with the elapsed time. It returns the combined
// output and the names of the steps that failed.
func runPlan(dir string, steps []report.Step) ([]byte, stepsFailed, error) {
	tmp, err := os.MkdirTemp("", "gosess-bench-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "bench.test")
	fmt.Fprintln(os.Stderr, "building the benchmark binary...")
	build := exec.Command("go", "test", "-c", "-o", bin, ".")
	build.Dir, build.Stdout, build.Stderr = dir, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return nil, nil, fmt.Errorf("go test -c: %w", err)
	}

	var all bytes.Buffer
	var failed stepsFailed
	start := time.Now()
	for i, s := range steps {
		fmt.Fprintf(os.Stderr, "[%d/%d] %s (%d rounds, -benchtime %s)\n", i+1, len(steps), s.Name, s.Count, s.Benchtime)
		// One process per round, each running every benchmark of the step
		// once: the two sides of a comparison alternate within seconds,
		// so a burst of load from elsewhere hits both rather than one.
		n := 0
		for round := 1; round <= s.Count; round++ {
			err := runRound(bin, dir, s, &all, func(line string) {
				n++
				fields := strings.Fields(line)
				val := ""
				if len(fields) >= 4 {
					val = fields[2] + " " + fields[3]
				}
				fmt.Fprintf(os.Stderr, "  %d/%d %3d  %-58s %16s   [%s]\n", round, s.Count, n, fields[0], val, time.Since(start).Round(time.Second))
			})
			if err != nil {
				fmt.Fprintf(os.Stderr, "  step %q round %d failed: %v\n", s.Name, round, err)
				failed = append(failed, fmt.Sprintf("%s (round %d)", s.Name, round))
			}
		}
	}
	return all.Bytes(), failed, nil
}

// runRound runs the step's benchmarks once, appending the output to all
// and calling result for each result line. Failure reports go to stderr.
func runRound(bin, dir string, s report.Step, all *bytes.Buffer, result func(line string)) error {
	cmd := exec.Command(bin, "-test.run", "^$", "-test.bench", s.Bench, "-test.benchmem",
		"-test.count", "1", "-test.benchtime", s.Benchtime, "-test.timeout", "60m")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), s.Env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		all.WriteString(line + "\n")
		switch {
		case strings.Contains(line, "--- FAIL"), strings.HasPrefix(line, "--- SKIP"), strings.HasPrefix(line, "FAIL"),
			strings.HasPrefix(line, "    "), strings.HasPrefix(line, "panic"):
			fmt.Fprintln(os.Stderr, "  "+line)
		case strings.HasPrefix(line, "Benchmark") && strings.Contains(line, "\t"):
			result(line)
		}
	}
	return cmd.Wait()
}

// benchstat returns `go tool benchstat` on the results file (the tool is
// pinned in go.mod), or a line saying why it could not run.
func benchstat(dir, results string) string {
	if rel, err := filepath.Rel(dir, results); err == nil && !strings.HasPrefix(rel, "..") {
		results = rel // the file name heads benchstat's table
	}
	cmd := exec.Command("go", "tool", "benchstat", results)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Sprintf("go tool benchstat failed: %v %s", err, stderr.String())
	}
	return string(out)
}

func printSummary(w io.Writer, rows []report.Row) {
	fmt.Fprintln(w)
	for _, r := range rows {
		v := report.FormatRatio(r.Ratio)
		if r.Comparison.Anchor == "" {
			v = report.FormatValue(r.Ours.Median, r.Unit)
		}
		fmt.Fprintf(w, "%-8s #%s %-70s %10s  goal %s\n", r.Verdict, r.Issue, r.Title, v, report.FormatGoal(r.Comparison))
	}
}
