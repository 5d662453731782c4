package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/session"
)

// demoApp is the demo web app: sessions and cached app data in one region.
// Its pages are in demo_pages.go, the stampede buttons in stampede.go, the
// operator's endpoints (/healthz, /metrics) in demo_ops.go.
type demoApp struct {
	region *region.Region
	maker  *session.Maker
	log    *slog.Logger
	now    func() time.Time

	reportCost time.Duration // how long building the report takes
	reportTTL  time.Duration // how long a report stays fresh

	stampede stampedeSettings

	// sessionPrefix is the key prefix of the sessions in the region, for
	// the figures panel (region.WithPrefixStats).
	sessionPrefix string
	// makerName labels the session metrics (the -maker flag).
	makerName string
}

// demoFlags are the demo's own flags (the region and maker come from
// storeFlags). New features add a field here and a line in register.
type demoFlags struct {
	addr       string
	check      bool
	secretFile string
}

func (f *demoFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on (port 0: any free port)")
	fs.BoolVar(&f.check, "check", true, "check at start-up that the region's store and the sessions' backend answer; exit with an error if not")
	fs.StringVar(&f.secretFile, "secret-file", "", "sign cookies with the key in this file, created (mode 0600) if missing; give every instance that shares a store the same file "+
		"(without -config; default: a key of this process only, refused with a store other processes share)")
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", "demo [-addr HOST:PORT] [-config FILE] [-driver NAME -arg k=v ...] [-v]", stderr)
	var s storeFlags
	s.register(fs)
	var df demoFlags
	df.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: demo takes no arguments, got %q", errUsage, fs.Args())
	}
	log := s.logger(stderr)
	app, closeApp, err := openDemo(&s, &df, log)
	if err != nil {
		return err
	}
	defer closeApp()
	if df.check {
		if err := app.checkAtStartup(ctx); err != nil {
			return fmt.Errorf("demo: start-up check failed: %w (start anyway with -check=false)", err)
		}
	}
	ln, err := net.Listen("tcp", df.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: app.handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "gosess demo: http://%s/ (region %q on driver %q; Ctrl-C to stop)\n", ln.Addr(), app.region.Name(), driverLabel(app.region))
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

// openDemo builds the demo app from the shared flags: the region (and
// maker) of -config or of -driver/-arg, every layer logging through log;
// without a maker in -config, the maker signs with df.secretFile's key.
func openDemo(s *storeFlags, df *demoFlags, log *slog.Logger) (*demoApp, func(), error) {
	if _, set := s.args["life_window"]; s.configFile == "" && s.driver == "memory" && !set {
		// The memory driver keeps items for its life window at most; the
		// demo's sessions live 30 minutes, so keep items an hour.
		s.args["life_window"] = "1h"
	}
	prefix := s.sessionKeyPrefix()
	e, err := s.open(log, region.WithPrefixStats(prefix))
	if err != nil {
		return nil, nil, err
	}
	switch {
	case e.maker == nil:
		if e.maker, err = defaultMaker(e.region, df.secretFile, log); err != nil {
			e.Close()
			if errors.Is(err, session.ErrInvalidSetting) && df.secretFile == "" {
				err = fmt.Errorf("%w\n(start every instance of the demo with the same -secret-file, e.g. -secret-file ./secret)", err)
			}
			return nil, nil, err
		}
		if df.secretFile == "" {
			log.Info("demo: sessions use the dogpile backend on the region, signed with a key made for this run (-secret-file to keep one)")
		} else {
			log.Info("demo: sessions use the dogpile backend on the region, signed with the key of -secret-file", "path", df.secretFile)
		}
	case df.secretFile != "":
		e.Close()
		return nil, nil, fmt.Errorf("%w: -secret-file applies only when -config has no maker %q (set secret_file in its [sessions.%s] section)",
			errUsage, s.makerName, s.makerName)
	}
	app := newDemoApp(e.region, e.maker, log)
	app.sessionPrefix, app.makerName = prefix, s.makerName
	return app, func() { e.Close() }, nil
}

// newDemoApp returns the app with its default settings.
func newDemoApp(r *region.Region, m *session.Maker, log *slog.Logger) *demoApp {
	return &demoApp{
		region: r, maker: m, log: log, now: time.Now,
		reportCost: 400 * time.Millisecond, reportTTL: 30 * time.Second,
		stampede:      defaultStampede,
		sessionPrefix: "session:",
	}
}

func driverLabel(r *region.Region) string {
	if n := r.DriverName(); n != "" {
		return n
	}
	return "custom"
}

// handler returns the app's routes behind cross-origin protection and the
// session middleware; /metrics and /healthz are outside both (no session
// for scrapers and probes, and GET needs no CSRF defence).
//
// The order matters: http.CrossOriginProtection comes first, so that a
// cross-site POST is refused with 403 before any session is loaded or
// saved (no cookie, no store traffic).
func (a *demoApp) handler() http.Handler {
	app := http.NewServeMux()
	a.routes(app)
	csrf := http.NewCrossOriginProtection()
	root := http.NewServeMux()
	a.opsRoutes(root)
	root.Handle("/", csrf.Handler(a.maker.Middleware(app)))
	return root
}

// routes registers the pages behind the session middleware.
func (a *demoApp) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("POST /logout-everywhere", a.logoutEverywhere)
	mux.HandleFunc("POST /count", a.count)
	mux.HandleFunc("GET /report", a.report)
	mux.HandleFunc("POST /stampede/{kind}", a.runStampede)
	mux.HandleFunc("GET /stampede/{id}", a.showStampede)
}

func (a *demoApp) fail(w http.ResponseWriter, r *http.Request, err error) {
	a.log.ErrorContext(r.Context(), "demo: request failed", "path", r.URL.Path, "err", err)
	status := http.StatusInternalServerError
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		status = http.StatusServiceUnavailable
	}
	http.Error(w, http.StatusText(status), status)
}
