package rtmpsrc

import (
	"errors"
	"strings"
	"testing"
)

var urlCases = []struct {
	raw                 string
	scheme, host, app   string
	port                int
	key, tcURL, redacts string
	err                 string
}{
	{raw: "rtmp://localhost/live/abc", scheme: "rtmp", host: "localhost", port: 1935, app: "live", key: "abc", tcURL: "rtmp://localhost/live", redacts: "rtmp://localhost/live/****"},
	{raw: "rtmp://127.0.0.1:1936/live/abc", scheme: "rtmp", host: "127.0.0.1", port: 1936, app: "live", key: "abc", tcURL: "rtmp://127.0.0.1:1936/live"},
	{raw: "rtmps://live-api-s.facebook.com:443/rtmp/FB-1-0", scheme: "rtmps", host: "live-api-s.facebook.com", port: 443, app: "rtmp", key: "FB-1-0", tcURL: "rtmps://live-api-s.facebook.com/rtmp"},
	{raw: "rtmp://live.twitch.tv/app/live_123?bandwidthtest=true", scheme: "rtmp", host: "live.twitch.tv", port: 1935, app: "app", key: "live_123?bandwidthtest=true", tcURL: "rtmp://live.twitch.tv/app"},
	{raw: "rtmp://a.rtmp.youtube.com/live2/xxxx-yyyy", scheme: "rtmp", host: "a.rtmp.youtube.com", port: 1935, app: "live2", key: "xxxx-yyyy"},
	{raw: "rtmp://host/app/instance/key", scheme: "rtmp", host: "host", port: 1935, app: "app/instance", key: "key", tcURL: "rtmp://host/app/instance"},
	{raw: "RTMP://[::1]:2000/live/k", scheme: "rtmp", host: "::1", port: 2000, app: "live", key: "k", tcURL: "rtmp://[::1]:2000/live"},
	{raw: "rtmps://host/live/k", scheme: "rtmps", host: "host", port: 443, app: "live", key: "k"},
	{raw: "http://host/live/k", err: `scheme "http"`},
	{raw: "host/live/secret", err: "no scheme"},
	{raw: "rtmp:///live/k", err: "no host"},
	{raw: "rtmp://host:0/live/k", err: "port"},
	{raw: "rtmp://host:99999/live/k", err: "port"},
	{raw: "rtmp://host:/live/k", err: "port"},
	{raw: "rtmp://host/live", err: "/app/key"},
	{raw: "rtmp://host/live/", err: "empty stream key"},
	{raw: "rtmp://host//secret", err: "/app/key"},
	{raw: "rtmp://user:pw@host/live/secret", err: "user info"},
	{raw: "rtmp://host/live/sec ret", err: "white space"},
}

func TestParseURL(t *testing.T) {
	for _, c := range urlCases {
		u, err := ParseURL(c.raw)
		if c.err != "" {
			if err == nil {
				t.Errorf("%s: no error", c.raw)
				continue
			}
			if !errors.Is(err, ErrURL) || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v, want ErrURL naming %q", c.raw, err, c.err)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("%s: error leaks the key: %v", c.raw, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.raw, err)
			continue
		}
		if u.Scheme != c.scheme || u.Host != c.host || u.Port != c.port || u.App != c.app || u.Key != c.key {
			t.Errorf("%s: parsed %+v", c.raw, u)
		}
		if c.tcURL != "" && u.TCURL() != c.tcURL {
			t.Errorf("%s: tcUrl %s, want %s", c.raw, u.TCURL(), c.tcURL)
		}
		if c.redacts != "" && u.String() != c.redacts {
			t.Errorf("%s: String %s, want %s", c.raw, u.String(), c.redacts)
		}
		if strings.Contains(u.String(), u.Key) {
			t.Errorf("%s: String() shows the key", c.raw)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	for _, c := range urlCases {
		f.Add(c.raw)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := ParseURL(raw)
		if err != nil {
			return
		}
		if u.App == "" || u.Key == "" || u.Host == "" || u.Port < 1 || u.Port > 65535 {
			t.Fatalf("%q parsed into %+v", raw, u)
		}
		if _, err := ParseURL(u.TCURL() + "/" + u.Key); err != nil {
			t.Fatalf("%q: its own tcUrl and key do not parse: %v", raw, err)
		}
	})
}
