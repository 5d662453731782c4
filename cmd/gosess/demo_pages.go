package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/session"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"ms": formatMillis,
}).ParseFS(templateFS, "templates/*.html"))

// formatMillis writes d in milliseconds, with two decimals under 10 ms.
func formatMillis(d time.Duration) string {
	if v := ms(d); v < 10 {
		return fmt.Sprintf("%.2f ms", v)
	}
	return fmt.Sprintf("%.0f ms", ms(d))
}

// page is what every page's layout shows: the figures panel and the
// footer.
type page struct {
	Title   string
	Driver  string
	Region  string
	Figures figures
}

func (a *demoApp) page(title string) page {
	return page{Title: title, Driver: driverLabel(a.region), Region: a.region.Name(), Figures: a.figures()}
}

type homePage struct {
	page
	User      string
	Sessions  []userSession // the user's live sessions (UserSessions)
	Count     int
	Flashes   []string
	SessionID string
	NotSaved  bool
	Created   time.Time
	Callers   int
}

func (a *demoApp) home(w http.ResponseWriter, r *http.Request) {
	s := session.FromContext(r.Context())
	p := homePage{page: a.page("gosess demo"), Created: s.Created(), NotSaved: s.IsNew(), Callers: a.stampede.callers}
	p.User = s.User()
	p.Count, _ = session.GetAs[int](s, "count")
	if p.User != "" {
		list, err := a.maker.UserSessions(r.Context(), p.User)
		switch {
		case errors.Is(err, session.ErrUnsupported): // the cookie backend: nothing to list
		case err != nil:
			a.fail(w, r, err)
			return
		}
		for _, u := range list {
			p.Sessions = append(p.Sessions, userSession{ID: u.ID[:8] + "…", Created: u.Created, LastAccess: u.LastAccess, Current: u.ID == s.ID()})
		}
	}
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
	if err := s.Renew(r.Context()); err != nil {
		a.fail(w, r, err)
		return
	}
	s.SetUser(name) // indexed with the user's other sessions, for "log out everywhere"
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

// userSession is one line of the home page's list of the user's sessions
// (ids are credentials: only their start is shown).
type userSession struct {
	ID                  string
	Created, LastAccess time.Time
	Current             bool
}

// logoutEverywhere ends every session of the user, this one included,
// in every process that shares the store (Maker.RevokeUser).
func (a *demoApp) logoutEverywhere(w http.ResponseWriter, r *http.Request) {
	s := session.FromContext(r.Context())
	user := s.User()
	if user == "" {
		s.AddFlash("You are not logged in.")
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	n, err := a.maker.RevokeUser(r.Context(), user)
	if errors.Is(err, session.ErrUnsupported) {
		s.AddFlash("These sessions cannot be logged out everywhere: " + err.Error())
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	// This session was one of them: start over, for the message.
	if err := s.Invalidate(r.Context()); err != nil {
		a.fail(w, r, err)
		return
	}
	s.AddFlash(fmt.Sprintf("You are logged out everywhere: %d session(s) ended.", n))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *demoApp) count(w http.ResponseWriter, r *http.Request) {
	s := session.FromContext(r.Context())
	n, _ := session.GetAs[int](s, "count")
	s.Set("count", n+1)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// report is the "expensive" app data cached with GetOrCreate.
type report struct {
	GeneratedAt time.Time
	Took        time.Duration
	Lines       []string
}

type reportPage struct {
	page
	Report report
	Cached bool
	Age    time.Duration
	TTL    time.Duration
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
	a.render(w, "report.html", reportPage{page: a.page("The report"), Report: rep, Cached: !built,
		Age: a.now().Sub(rep.GeneratedAt).Round(time.Second), TTL: a.reportTTL})
}

func (a *demoApp) render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		a.log.Error("demo: render", "page", name, "err", err)
	}
}
