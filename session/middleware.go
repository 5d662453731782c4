package session

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
)

type ctxKey struct{}

// ctxEntry is what a context carries: the session, and whether a handler
// asked for it (the response then depends on it, see Middleware).
type ctxEntry struct {
	s    *Session
	used atomic.Bool
}

// NewContext returns a copy of ctx carrying s; FromContext retrieves it.
// Middleware does this for every request.
func NewContext(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, ctxKey{}, &ctxEntry{s: s})
}

// FromContext returns the session that Middleware loaded for the request
// whose context is ctx, or nil when there is none. Behind Middleware,
// calling it marks the response as depending on the session
// (Cache-Control: private).
func FromContext(ctx context.Context) *Session {
	e, _ := ctx.Value(ctxKey{}).(*ctxEntry)
	if e == nil {
		return nil
	}
	e.used.Store(true)
	return e.s
}

// Middleware loads the request's session before next runs (available to
// it through FromContext(r.Context())) and saves it just before the first
// byte of the response goes out: on the handler's first Write,
// WriteHeader, Flush or ReadFrom, or when the handler returns without
// writing. So the Set-Cookie header is never too late, and a handler
// that fails before writing does not leave a half-saved state behind.
//
// The response gets a Set-Cookie header only when needed: the session is
// new and was modified; it was modified, renewed or had flashes read;
// it was invalidated (an expired cookie, unless values were set again);
// or it is due for an access touch (MaxAge set and counted from the last
// access, that is without Config.MaxAgeFromCreation, and the last
// recorded access older than Config.TouchInterval).
// A handler that calls Save itself has its cookie sent unless the session
// changed again. Abort stops the middleware from saving or sending a
// cookie.
//
// Caching headers: every response gets "Vary: Cookie". Unless the handler
// set a Cache-Control header of its own, a response that sets a cookie
// gets "Cache-Control: no-store" (no cache may keep a Set-Cookie), and a
// response whose handler used the session (called FromContext) gets
// "Cache-Control: private", so that shared caches never store one
// user's page. Responses of handlers that never asked for the session
// are left alone (static files stay cacheable).
//
// Cross-site request forgery: put http.CrossOriginProtection in front of
// the middleware (csrf.Handler(maker.Middleware(mux)) with csrf :=
// http.NewCrossOriginProtection()), so that a refused request never loads
// or saves a session.
//
// Concurrent requests of one client that change its session are merged
// by Save, key by key (see Session.Save). When they cannot be (both
// changed the same key, or one deleted the session), the save of the
// later one fails with ErrConflict: nothing of it is stored, the other
// request's data stands, and the handler's response is replaced by the
// Maker's conflict handler (WithConflictHandler; by default
// DefaultConflictHandler: 409 Conflict), given the error (a
// *ConflictError). The handler's headers, but for Content-Length,
// Content-Encoding and Content-Type, and its cookies stay; its body is
// discarded. A touch that loses to a concurrent writer is not a
// conflict.
//
// When loading fails (the backend is down) the handler is not called and
// the client gets 500. When saving fails otherwise (backend down, a value
// the codec cannot encode, a cookie over 4096 bytes) the handler's
// response is replaced: the client gets 500 Internal Server Error and the
// handler's body is discarded; the error is logged with the Maker's
// logger.
//
// The wrapped ResponseWriter implements Unwrap, so http.ResponseController
// reaches the server's writer for deadlines and full duplex; Flush and
// Hijack are served by the wrapper itself (saving first). A hijacked
// connection still has its session saved, but no Set-Cookie can be added.
func (m *Maker) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, err := m.current()
		if err != nil {
			m.logger.ErrorContext(r.Context(), "session: middleware used before Configure", "error", err)
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
		var values []string
		for _, c := range r.Cookies() {
			if c.Name == st.cc.cfg.Name && c.Value != "" {
				values = append(values, c.Value)
			}
		}
		s, err := m.load(r.Context(), st, st.cc, values)
		if err != nil {
			m.logger.ErrorContext(r.Context(), "session: cannot load the session", "error", err)
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
		entry := &ctxEntry{s: s}
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, entry))
		sw := &responseWriter{w: w, s: s, r: r, ctx: r.Context(), entry: entry}
		next.ServeHTTP(sw, r)
		sw.commit()
	})
}

// responseWriter saves the session before the response starts.
type responseWriter struct {
	w     http.ResponseWriter
	s     *Session
	r     *http.Request // the request as the handler got it
	ctx   context.Context
	entry *ctxEntry // entry.used: the handler asked for the session

	once   sync.Once
	failed bool // the save failed: a 500 or the conflict handler's answer was sent, the handler's output is dropped
}

// commit saves the session and adds the headers, once.
func (rw *responseWriter) commit() {
	rw.once.Do(func() {
		h := rw.w.Header()
		h.Add("Vary", "Cookie")
		handlerCaching := h.Get("Cache-Control") != ""
		c, err := rw.s.forResponse(rw.ctx)
		if errors.Is(err, ErrConflict) {
			rw.failed = true
			rw.s.m.logger.InfoContext(rw.ctx, "session: concurrent requests changed the session; answering through the conflict handler", "error", err)
			h.Del("Content-Length")
			h.Del("Content-Encoding")
			h.Del("Content-Type")
			h.Set("Cache-Control", "no-store")
			rw.s.m.onConflict(rw.w, rw.r, err)
			return
		}
		if err != nil {
			rw.failed = true
			rw.s.m.logger.ErrorContext(rw.ctx, "session: cannot save the session; answering 500", "error", err)
			h.Del("Content-Length")
			h.Del("Content-Encoding")
			h.Set("Content-Type", "text/plain; charset=utf-8")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Cache-Control", "no-store")
			rw.w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(rw.w, http.StatusText(http.StatusInternalServerError)+"\n")
			return
		}
		if c != nil {
			h.Add("Set-Cookie", c.String())
		}
		switch {
		case handlerCaching:
		case c != nil:
			h.Set("Cache-Control", "no-store")
		case rw.entry.used.Load():
			h.Set("Cache-Control", "private")
		}
	})
}

// forResponse decides what the response needs and saves when it must.
func (s *Session) forResponse(ctx context.Context) (*http.Cookie, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.m.now()
	cfg := &s.cc.cfg
	switch {
	case s.aborted:
		return nil, nil
	case s.modified, s.keyErr != nil: // save reports a Set with a reserved key
		return s.save(ctx)
	case s.invalidated:
		if s.hadCookie {
			return s.cc.opts.Expired(), nil
		}
		return nil, nil
	case s.saved != nil:
		return s.saved, nil
	case s.isNew:
		return nil, nil
	case cfg.refreshOnAccess() && cfg.MaxAge > 0 && now.Sub(s.access) >= cfg.touchEvery():
		return s.save(ctx)
	}
	return nil, nil
}

// ConflictHandler answers, in place of the handler's response, a request
// whose session could not be saved because of a conflict (see
// Middleware). err wraps ErrConflict (errors.As gives the
// *ConflictError: the keys both requests changed, or that the session was
// gone). r is the request as the handler got it (FromContext gives its
// Session, with this request's unsaved values). The handler must write a
// complete response; nothing has been sent yet, and the session will not
// be saved.
type ConflictHandler func(w http.ResponseWriter, r *http.Request, err error)

// DefaultConflictHandler answers 409 Conflict with a short plain-text
// body asking to retry: the other request's changes are kept, and this
// request's are not stored. An API may prefer a JSON body; a page, a
// redirect (303) back to where the user was, so that they see the
// current state.
func DefaultConflictHandler(w http.ResponseWriter, r *http.Request, err error) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusConflict)
	io.WriteString(w, "409 Conflict: another request changed this session at the same time; reload and try again\n")
}

// Header implements http.ResponseWriter.
func (rw *responseWriter) Header() http.Header { return rw.w.Header() }

// WriteHeader implements http.ResponseWriter; it saves the session first.
func (rw *responseWriter) WriteHeader(code int) {
	// Informational responses (103 Early Hints) may precede the cookie.
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		rw.w.WriteHeader(code)
		return
	}
	rw.commit()
	if rw.failed {
		return
	}
	rw.w.WriteHeader(code)
}

// Write implements http.ResponseWriter; it saves the session first.
func (rw *responseWriter) Write(p []byte) (int, error) {
	rw.commit()
	if rw.failed {
		return len(p), nil
	}
	return rw.w.Write(p)
}

// ReadFrom lets io.Copy use the server's sendfile path; it saves first.
func (rw *responseWriter) ReadFrom(r io.Reader) (int64, error) {
	rw.commit()
	if rw.failed {
		return io.Copy(io.Discard, r)
	}
	return io.Copy(rw.w, r) // uses rw.w's ReadFrom when it has one
}

// Flush implements http.Flusher; it saves the session first.
func (rw *responseWriter) Flush() { _ = rw.FlushError() }

// FlushError is the Flush used by http.ResponseController.
func (rw *responseWriter) FlushError() error {
	rw.commit()
	if rw.failed {
		return nil
	}
	return http.NewResponseController(rw.w).Flush()
}

// Hijack implements http.Hijacker: the session is saved first (its cookie
// cannot be sent any more; the handler owns the connection).
func (rw *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	rw.commit()
	if rw.failed {
		return nil, nil, errors.New("session: the session could not be saved; a 500 was sent")
	}
	return http.NewResponseController(rw.w).Hijack()
}

// Unwrap returns the server's ResponseWriter, for http.ResponseController.
func (rw *responseWriter) Unwrap() http.ResponseWriter { return rw.w }
