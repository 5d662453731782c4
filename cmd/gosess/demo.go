package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gosess/gosess/metrics"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/session"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// demoApp is the demo web app: sessions and cached app data in one region.
type demoApp struct {
	region     *region.Region
	maker      *session.Maker
	log        *slog.Logger
	reportCost time.Duration // how long building the report takes
	reportTTL  time.Duration // how long a report stays fresh
	now        func() time.Time
}

// report is the "expensive" app data cached with GetOrCreate.
type report struct {
	GeneratedAt time.Time
	Took        time.Duration
	Lines       []string
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", "demo [-addr HOST:PORT] [-config FILE] [-driver NAME -arg k=v ...]", stderr)
	var s setup
	s.register(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: demo takes no arguments, got %q", errUsage, fs.Args())
	}
	log := s.logger(stderr)
	if _, set := s.args["life_window"]; s.configFile == "" && s.driver == "memory" && !set {
		// The memory driver keeps items for its life window at most; the
		// demo's sessions live 30 minutes, so keep items an hour.
		s.args["life_window"] = "1h"
	}
	e, err := s.open(log)
	if err != nil {
		return err
	}
	defer e.Close()
	if e.maker == nil {
		if e.maker, err = defaultMaker(e.region, log); err != nil {
			return err
		}
		log.Info("demo: sessions use the dogpile backend on the region, with a key made for this run")
	}
	app := &demoApp{region: e.region, maker: e.maker, log: log, reportCost: 400 * time.Millisecond, reportTTL: 30 * time.Second, now: time.Now}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: app.handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "gosess demo: http://%s/ (region %q on driver %q; Ctrl-C to stop)\n", ln.Addr(), e.region.Name(), driverLabel(e.region))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := srv.Shutdown(shutdown)
		<-errc
		return err
	}
}

func driverLabel(r *region.Region) string {
	if n := r.DriverName(); n != "" {
		return n
	}
	return "custom"
}

// handler returns the app's routes behind the session middleware;
// /metrics and /healthz are outside it (no session for scrapers).
func (a *demoApp) handler() http.Handler {
	app := http.NewServeMux()
	app.HandleFunc("GET /{$}", a.home)
	app.HandleFunc("POST /login", a.login)
	app.HandleFunc("POST /logout", a.logout)
	app.HandleFunc("POST /count", a.count)
	app.HandleFunc("GET /report", a.report)

	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.Regions(a.region), metrics.Sessions("web", a.maker))
	root := http.NewServeMux()
	root.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	root.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	root.Handle("/", a.maker.Middleware(app))
	return root
}

type homePage struct {
	User      string
	Count     int
	Flashes   []string
	SessionID string
	Created   time.Time
	Driver    string
	Region    string
}

func (a *demoApp) home(w http.ResponseWriter, r *http.Request) {
	s := session.FromContext(r.Context())
	p := homePage{Driver: driverLabel(a.region), Region: a.region.Name(), Created: s.Created()}
	p.User, _ = session.GetAs[string](s, "user")
	p.Count, _ = session.GetAs[int](s, "count")
	for _, f := range s.Flashes() {
		p.Flashes = append(p.Flashes, fmt.Sprint(f))
	}
	if id := s.ID(); len(id) > 8 {
		p.SessionID = id[:8] + "…"
	}
	a.render(w, "home.html", p)
}

func (a *demoApp) login(w http.ResponseWriter, r *http.Request) {
	s := session.FromContext(r.Context())
	name := strings.TrimSpace(r.FormValue("name"))
	if name == "" || len(name) > 64 {
		s.AddFlash("Please give a name of 1 to 64 characters.")
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	// A new session id at login defeats session fixation; the data stays.
	if err := s.Refresh(r.Context()); err != nil {
		a.fail(w, r, err)
		return
	}
	s.Set("user", name)
	s.AddFlash("Welcome, " + name + ".")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *demoApp) logout(w http.ResponseWriter, r *http.Request) {
	s := session.FromContext(r.Context())
	if err := s.Invalidate(r.Context()); err != nil {
		a.fail(w, r, err)
		return
	}
	s.AddFlash("You are logged out.")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *demoApp) count(w http.ResponseWriter, r *http.Request) {
	s := session.FromContext(r.Context())
	n, _ := session.GetAs[int](s, "count")
	s.Set("count", n+1)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

type reportPage struct {
	Report report
	Cached bool
	Age    time.Duration
	TTL    time.Duration
	Driver string
}

// report serves data that is slow to build, cached in the same region as
// the sessions with GetOrCreate: concurrent requests for a cold or stale
// report run the builder once.
func (a *demoApp) report(w http.ResponseWriter, r *http.Request) {
	built := false
	rep, err := region.GetOrCreate(r.Context(), a.region, "demo:report", func(ctx context.Context) (report, error) {
		built = true
		start := a.now()
		select {
		case <-time.After(a.reportCost):
		case <-ctx.Done():
			return report{}, ctx.Err()
		}
		return report{
			GeneratedAt: a.now(),
			Took:        a.now().Sub(start).Round(time.Millisecond),
			Lines:       []string{"visitors today: 1,024", "orders: 97", "p99 latency: 41 ms"},
		}, nil
	}, region.WithExpiration(a.reportTTL))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.render(w, "report.html", reportPage{Report: rep, Cached: !built, Age: a.now().Sub(rep.GeneratedAt).Round(time.Second), TTL: a.reportTTL, Driver: driverLabel(a.region)})
}

func (a *demoApp) render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		a.log.Error("demo: render", "page", name, "err", err)
	}
}

func (a *demoApp) fail(w http.ResponseWriter, r *http.Request, err error) {
	a.log.ErrorContext(r.Context(), "demo: request failed", "path", r.URL.Path, "err", err)
	status := http.StatusInternalServerError
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		status = http.StatusServiceUnavailable
	}
	http.Error(w, http.StatusText(status), status)
}
