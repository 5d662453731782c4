package redis

import (
	"cmp"
	"crypto/tls"
	"errors"
	"net/url"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// Building the go-redis client a Config describes: one server, a
// sentinel-managed master or a cluster.

// newClient builds the go-redis client that cfg describes (cfg is valid).
func (c *Config) newClient() (goredis.UniversalClient, string, error) {
	tlsConf := c.TLSConfig.Clone()
	if tlsConf == nil && c.TLS {
		tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if c.URL != "" {
		o, err := goredis.ParseURL(c.URL)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // its message repeats the URL, password included
			}
			return nil, "", invalid("url %q: %v", redactURL(c.URL), err)
		}
		if tlsConf != nil {
			o.TLSConfig = tlsConf
		}
		o.DialTimeout = pick(c.DialTimeout, o.DialTimeout, DefaultDialTimeout)
		o.ReadTimeout = pick(c.ReadTimeout, o.ReadTimeout, DefaultReadTimeout)
		o.WriteTimeout = pick(c.WriteTimeout, o.WriteTimeout, o.ReadTimeout)
		o.PoolSize = pick(c.PoolSize, o.PoolSize, 0)
		o.MaxRetries = pick(retries(c.MaxRetries), o.MaxRetries, DefaultMaxRetries)
		o.DialerRetries = 1
		o.ContextTimeoutEnabled = true
		return goredis.NewClient(o), "single", nil
	}
	read := cmp.Or(c.ReadTimeout, DefaultReadTimeout)
	o := &goredis.UniversalOptions{
		Addrs:                 c.Addrs,
		IsClusterMode:         c.Cluster,
		MasterName:            c.MasterName,
		SentinelUsername:      c.SentinelUsername,
		SentinelPassword:      c.SentinelPassword,
		DB:                    c.DB,
		Username:              c.Username,
		Password:              c.Password,
		TLSConfig:             tlsConf,
		DialTimeout:           cmp.Or(c.DialTimeout, DefaultDialTimeout),
		DialerRetries:         1,
		ReadTimeout:           read,
		WriteTimeout:          cmp.Or(c.WriteTimeout, read),
		PoolSize:              c.PoolSize,
		MaxRetries:            cmp.Or(retries(c.MaxRetries), DefaultMaxRetries),
		ContextTimeoutEnabled: true,
	}
	mode := "single"
	switch {
	case c.MasterName != "":
		mode = "sentinel"
		if len(o.Addrs) == 0 {
			o.Addrs = []string{DefaultSentinelAddr}
		}
	case len(c.Addrs) > 1 || c.Cluster:
		mode = "cluster"
	case len(c.Addrs) == 0:
		o.Addrs = []string{DefaultAddr}
	}
	return goredis.NewUniversalClient(o), mode, nil
}

// retries maps Config.MaxRetries to go-redis's convention (-1 = none).
func retries(n int) int {
	if n < 0 {
		return -1
	}
	return n
}

// pick returns the first non-zero of explicit, fromURL and def.
func pick[T comparable](explicit, fromURL, def T) T {
	var zero T
	switch {
	case explicit != zero:
		return explicit
	case fromURL != zero:
		return fromURL
	}
	return def
}

// redactURL hides a password in u for error messages. url.URL.Redacted
// does the same for a URL that parses, but the URLs shown here are those
// go-redis refused, which often do not (a bad port, a space in the
// password): so the password is found by hand.
func redactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	at := strings.LastIndexByte(rest, '@')
	if slash := strings.IndexByte(rest, '/'); at < 0 || (slash >= 0 && slash < at) {
		return u
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return u
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}
