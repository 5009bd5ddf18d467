package rtmpsrc

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/golivecast/golivecast/internal/rtmp"
)

// URL is a parsed publishing address:
// rtmp://host[:port]/app[/instance]/key[?query] or rtmps://…
type URL struct {
	// Scheme is "rtmp" or "rtmps".
	Scheme string
	// Host is the server name or address, without port.
	Host string
	// Port defaults to 1935 for rtmp and 443 for rtmps.
	Port int
	// App is everything between the host and the last slash, such as
	// "live" or "app/instance".
	App string
	// Key is the stream key (the publishing name) with its query, such
	// as "abcd?bandwidthtest=true". It is a secret.
	Key string
}

// ParseURL parses an rtmp:// or rtmps:// URL. Errors wrap ErrURL, say
// what is wrong, and never contain the key.
func ParseURL(raw string) (*URL, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil, fmt.Errorf("%w: %q has no scheme (want rtmp:// or rtmps://)", ErrURL, redactRaw(raw))
	}
	u := &URL{Scheme: strings.ToLower(scheme)}
	switch u.Scheme {
	case "rtmp":
		u.Port = 1935
	case "rtmps":
		u.Port = 443
	default:
		return nil, fmt.Errorf("%w: scheme %q (want rtmp or rtmps)", ErrURL, scheme)
	}
	hostport, path, _ := strings.Cut(rest, "/")
	if hostport == "" {
		return nil, fmt.Errorf("%w: no host in %s://…", ErrURL, u.Scheme)
	}
	if strings.ContainsAny(hostport, "@?#") {
		// Not quoted: what precedes '@' may be a password.
		return nil, fmt.Errorf("%w: the host part holds user info ('@'), a query ('?') or a fragment ('#')", ErrURL)
	}
	host := hostport
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		port, err := strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("%w: port %q out of range 1–65535", ErrURL, p)
		}
		host, u.Port = h, port
	} else if strings.Count(hostport, ":") == 1 || strings.HasSuffix(hostport, "]") && strings.HasPrefix(hostport, "[") {
		// "host:" or "[::1]" without port.
		host = strings.TrimSuffix(strings.Trim(hostport, "[]"), ":")
		if strings.HasSuffix(hostport, ":") {
			return nil, fmt.Errorf("%w: empty port in %q", ErrURL, hostport)
		}
	}
	if host == "" {
		return nil, fmt.Errorf("%w: empty host", ErrURL)
	}
	u.Host = host

	// The key is the last path element; its query stays with it.
	pathOnly, query, hasQuery := strings.Cut(path, "?")
	i := strings.LastIndex(pathOnly, "/")
	if i <= 0 {
		return nil, fmt.Errorf("%w: path must be /app/key (got %d element(s))", ErrURL, strings.Count(strings.Trim(pathOnly, "/"), "/")+boolInt(strings.Trim(pathOnly, "/") != ""))
	}
	u.App = strings.Trim(pathOnly[:i], "/")
	u.Key = pathOnly[i+1:]
	if hasQuery {
		u.Key += "?" + query
	}
	if u.App == "" {
		return nil, fmt.Errorf("%w: empty application name", ErrURL)
	}
	if pathOnly[i+1:] == "" {
		return nil, fmt.Errorf("%w: empty stream key after /%s/", ErrURL, u.App)
	}
	if strings.ContainsAny(u.App+u.Key, " \t\r\n#") {
		return nil, fmt.Errorf("%w: application or key holds white space or '#'", ErrURL)
	}
	return u, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Addr is host:port for dialing.
func (u *URL) Addr() string { return net.JoinHostPort(u.Host, strconv.Itoa(u.Port)) }

// TCURL is the tcUrl of the connect command: the URL up to the
// application.
func (u *URL) TCURL() string {
	def := (u.Scheme == "rtmp" && u.Port == 1935) || (u.Scheme == "rtmps" && u.Port == 443)
	host := u.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if !def {
		host += ":" + strconv.Itoa(u.Port)
	}
	return u.Scheme + "://" + host + "/" + u.App
}

// target is what a session needs of the URL.
func (u *URL) target() rtmp.Target {
	return rtmp.Target{Scheme: u.Scheme, Host: u.Host, Addr: u.Addr(), App: u.App, Key: u.Key, TCURL: u.TCURL()}
}

// String returns the URL with the key redacted as ****.
func (u *URL) String() string { return u.TCURL() + "/" + redacted }

const redacted = "****"

// redactRaw hides what may be a key in a string that did not parse.
func redactRaw(raw string) string {
	if i := strings.LastIndex(raw, "/"); i >= 0 && i < len(raw)-1 {
		return raw[:i+1] + redacted
	}
	return raw
}
