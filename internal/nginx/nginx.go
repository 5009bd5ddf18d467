// Package nginx runs a real nginx with the RTMP module for tests and
// benchmark programs: a private configuration in a directory of the
// caller's, a loopback port, recordings of everything published, and
// optionally the HLS segmenter.
//
// nginx runs in the foreground as a single process (daemon off,
// master_process off), so the caller owns exactly one process and
// stopping it ends everything. testkit.StartNginx wraps Start for a test.
package nginx

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

	// NoRecord turns the recording of every publish off: nginx then
	// only receives, as a server with many streams and no viewer does.
	NoRecord bool

	// Port is the loopback port to listen on. It defaults to a free port
	// picked by Start.
	Port int
}

// Server is a running (or stopped) nginx.
type Server struct {
	dir    string
	port   int
	binary string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Start writes a configuration into dir, starts nginx and waits until
// its port accepts TCP connections. The caller stops it with Stop.
func Start(dir string, opts Options) (*Server, error) {
	binary, module, err := Find()
	if err != nil {
		return nil, err
	}
	if len(opts.Apps) == 0 {
		opts.Apps = []string{"live"}
	}
	n := &Server{dir: dir, binary: binary}
	for _, sub := range []string{"logs", "records", "temp", "hls"} {
		if err := os.MkdirAll(filepath.Join(n.dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("nginx: %w", err)
		}
	}
	// A port picked here may be taken by someone else before nginx binds
	// it; try a few before giving up.
	attempts := 1
	if opts.Port == 0 {
		attempts = 3
	}
	for range attempts {
		n.port = opts.Port
		if n.port == 0 {
			if n.port, err = freePort(); err != nil {
				return nil, err
			}
		}
		conf := Config(n.dir, module, n.port, opts)
		if err = os.WriteFile(n.confPath(), []byte(conf), 0o644); err != nil {
			return nil, fmt.Errorf("nginx: %w", err)
		}
		if err = n.start(); err == nil {
			return n, nil
		}
	}
	return nil, fmt.Errorf("nginx: %w\nnginx error log:\n%s", err, n.Log())
}

// Addr returns the host:port nginx listens on.
func (n *Server) Addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(n.port))
}

// Port returns the port nginx listens on; it stays the same across Restart.
func (n *Server) Port() int { return n.port }

// URL returns rtmp://127.0.0.1:port/app/key.
func (n *Server) URL(app, key string) string {
	return "rtmp://" + n.Addr() + "/" + app + "/" + key
}

// HLSDir is where the HLS segmenter writes KEY.m3u8 and its fragments.
func (n *Server) HLSDir() string { return filepath.Join(n.dir, "hls") }

// Log returns nginx's error log so far (level info: connects, publishes,
// refusals and recording events).
func (n *Server) Log() string {
	b, err := os.ReadFile(n.logPath())
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return string(b)
}

// Stop terminates nginx (SIGTERM, then SIGKILL after 5 s) and waits for it
// to exit, which drops every RTMP connection, as a crashed server would.
// Recordings are complete once Stop returns. It is idempotent.
func (n *Server) Stop() {
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
func (n *Server) Restart() error {
	n.Stop()
	if err := n.start(); err != nil {
		return fmt.Errorf("nginx: restart: %w\nnginx error log:\n%s", err, n.Log())
	}
	return nil
}

// start runs nginx and waits for its port. n.mu is not held by callers.
func (n *Server) start() error {
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
	cmd.SysProcAttr = procAttr()
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
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("nginx: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (n *Server) confPath() string { return filepath.Join(n.dir, "nginx.conf") }
func (n *Server) logPath() string  { return filepath.Join(n.dir, "logs", "error.log") }
func (n *Server) recordDir() string {
	return filepath.Join(n.dir, "records")
}

// RecordDir is where nginx records each publish as KEY-UNIXSECONDS.flv.
func (n *Server) RecordDir() string { return n.recordDir() }

// PID is the process id of the running nginx, or 0 when it is stopped.
func (n *Server) PID() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return 0
	}
	return n.cmd.Process.Pid
}
