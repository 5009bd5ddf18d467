// Package nginxtest runs a real nginx with the RTMP module for tests: a
// private configuration in t.TempDir(), a loopback port, recordings of
// everything published, and the process stopped by t.Cleanup.
//
// nginx runs in the foreground as a single process (daemon off,
// master_process off), so the test owns exactly one process and killing it
// ends everything. Under CI=true a missing nginx or RTMP module fails the
// test; elsewhere it skips it.
package nginxtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Timeouts for starting and stopping nginx.
const (
	startTimeout = 10 * time.Second
	stopTimeout  = 5 * time.Second
)

// Options configures Start. The zero value works.
type Options struct {
	// Apps are the RTMP applications nginx accepts. It defaults to
	// ["live"]; a connect to any other application is refused.
	Apps []string

	// DenyPublish adds "deny publish all" to every application.
	DenyPublish bool

	// HLS turns nginx-rtmp's HLS segmenter on, with 2 s fragments kept
	// in HLSDir.
	HLS bool

	// Port is the loopback port to listen on. It defaults to a free port
	// picked by Start.
	Port int
}

// Nginx is a running (or stopped) nginx owned by one test.
type Nginx struct {
	t      testing.TB
	dir    string
	port   int
	binary string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Start writes a configuration into t.TempDir(), starts nginx and waits
// until its port accepts TCP connections. nginx is stopped in t.Cleanup and
// its error log is attached to the test log when the test fails.
func Start(t testing.TB, opts Options) *Nginx {
	t.Helper()
	binary, module := lookup(t)
	if len(opts.Apps) == 0 {
		opts.Apps = []string{"live"}
	}
	n := &Nginx{t: t, dir: t.TempDir(), binary: binary}
	for _, sub := range []string{"logs", "records", "temp", "hls"} {
		if err := os.Mkdir(filepath.Join(n.dir, sub), 0o755); err != nil {
			t.Fatalf("nginxtest: %v", err)
		}
	}
	t.Cleanup(func() {
		n.Stop()
		if t.Failed() {
			t.Logf("nginxtest: nginx error log:\n%s", n.Log())
		}
	})

	// A port picked here may be taken by someone else before nginx binds
	// it; try a few before giving up.
	attempts := 1
	if opts.Port == 0 {
		attempts = 3
	}
	var err error
	for range attempts {
		n.port = opts.Port
		if n.port == 0 {
			n.port = freePort(t)
		}
		conf := Config(n.dir, module, n.port, opts)
		if err = os.WriteFile(n.confPath(), []byte(conf), 0o644); err != nil {
			t.Fatalf("nginxtest: %v", err)
		}
		if err = n.start(); err == nil {
			return n
		}
	}
	t.Fatalf("nginxtest: %v\nnginx error log:\n%s", err, n.Log())
	return nil
}

// Addr returns the host:port nginx listens on.
func (n *Nginx) Addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(n.port))
}

// Port returns the port nginx listens on; it stays the same across Restart.
func (n *Nginx) Port() int { return n.port }

// URL returns rtmp://127.0.0.1:port/app/key.
func (n *Nginx) URL(app, key string) string {
	return "rtmp://" + n.Addr() + "/" + app + "/" + key
}

// HLSDir is where the HLS segmenter writes KEY.m3u8 and its fragments.
func (n *Nginx) HLSDir() string { return filepath.Join(n.dir, "hls") }

// Dir returns the directory holding the configuration, logs and recordings.
func (n *Nginx) Dir() string { return n.dir }

// Log returns nginx's error log so far (level info: connects, publishes,
// refusals and recording events).
func (n *Nginx) Log() string {
	b, err := os.ReadFile(n.logPath())
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return string(b)
}

// Stop terminates nginx (SIGTERM, then SIGKILL after 5 s) and waits for it
// to exit, which drops every RTMP connection, as a crashed server would.
// Recordings are complete once Stop returns. It is idempotent.
func (n *Nginx) Stop() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return
	}
	// SIGTERM is nginx's fast shutdown: it closes connections and files and
	// exits. SIGQUIT (graceful) would wait for publishers to leave.
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(stopTimeout):
		_ = n.cmd.Process.Kill()
		<-n.done
	}
	n.cmd = nil
}

// Restart stops nginx if it runs and starts it again on the same port with
// the same configuration, keeping earlier recordings.
func (n *Nginx) Restart() {
	n.t.Helper()
	n.Stop()
	if err := n.start(); err != nil {
		n.t.Fatalf("nginxtest: restart: %v\nnginx error log:\n%s", err, n.Log())
	}
}

// start runs nginx and waits for its port. n.mu is not held by callers.
func (n *Nginx) start() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil {
		return errors.New("nginx is already running")
	}
	// -p keeps every relative path (temp files, default logs) in the temp
	// dir; -e moves the startup error log there before the config is read.
	cmd := exec.Command(n.binary, "-p", n.dir+"/", "-c", n.confPath(), "-e", n.logPath())
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	// Should the test binary die without running its cleanups, the kernel
	// kills nginx instead of leaving it holding the port.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start nginx: %w", err)
	}
	done := make(chan struct{})
	go func() {
		// Owned by n: Stop waits for done, so this goroutine ends with nginx.
		_ = cmd.Wait()
		close(done)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := waitPort(ctx, n.Addr(), done); err != nil {
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("nginx on %s: %w (output: %q)", n.Addr(), err, out.String())
	}
	n.cmd, n.done = cmd, done
	return nil
}

// waitPort polls addr until it accepts a TCP connection, the process exits
// (exited is closed) or ctx ends.
func waitPort(ctx context.Context, addr string, exited <-chan struct{}) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		var d net.Dialer
		dctx, cancel := context.WithTimeout(ctx, time.Second)
		c, err := d.DialContext(dctx, "tcp", addr)
		cancel()
		if err == nil {
			_ = c.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("nginx exited before listening")
		case <-ctx.Done():
			return fmt.Errorf("port not open: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// freePort asks the kernel for a free loopback port. It is free when this
// returns; nginx may still lose a race for it, which Start retries.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("nginxtest: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (n *Nginx) confPath() string { return filepath.Join(n.dir, "nginx.conf") }
func (n *Nginx) logPath() string  { return filepath.Join(n.dir, "logs", "error.log") }
func (n *Nginx) recordDir() string {
	return filepath.Join(n.dir, "records")
}
