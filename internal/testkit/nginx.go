package testkit

import (
	"testing"

	"github.com/golivecast/golivecast/internal/nginx"
)

// Nginx is an nginx with the RTMP module owned by one test.
type Nginx struct {
	*nginx.Server
	t testing.TB
}

// StartNginx starts nginx (see package nginx) with its files in
// t.TempDir(). A missing nginx or RTMP module fails the test under
// CI=true and skips it elsewhere. nginx is stopped in t.Cleanup, and its
// error log is attached to the test's when the test fails.
func StartNginx(t testing.TB, opts nginx.Options) *Nginx {
	t.Helper()
	if _, _, err := nginx.Find(); err != nil {
		Missing(t, "%v", err)
	}
	srv, err := nginx.Start(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Stop()
		if t.Failed() {
			t.Logf("nginx error log:\n%s", srv.Log())
		}
	})
	return &Nginx{Server: srv, t: t}
}

// Restart restarts nginx on the same port, failing the test if it cannot.
func (n *Nginx) Restart() {
	n.t.Helper()
	if err := n.Server.Restart(); err != nil {
		n.t.Fatal(err)
	}
}
