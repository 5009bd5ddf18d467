//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/golivecast/golivecast/internal/nginxtest"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// nginx is an nginx with the RTMP module, run in the foreground as one
// process on a loopback port, recording every publish into dir/records as
// KEY-UNIXTIME.flv, with internal/nginxtest's configuration.
type nginx struct {
	dir  string
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

// startNginx writes a configuration into dir and starts nginx on a free
// loopback port.
func startNginx(dir string) (*nginx, error) {
	binary, module, err := lookupNginx()
	if err != nil {
		return nil, err
	}
	for _, sub := range []string{"logs", "records", "temp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
	}
	// A port picked here may be taken before nginx binds it: try a few.
	for range 3 {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		n := &nginx{dir: dir, port: port}
		if err := os.WriteFile(n.confPath(), []byte(nginxConfig(dir, module, port)), 0o644); err != nil {
			return nil, err
		}
		if err = n.start(binary); err == nil {
			return n, nil
		}
	}
	return nil, fmt.Errorf("nginx did not start: %s", nginxLog(dir))
}

func nginxLog(dir string) string {
	b, _ := os.ReadFile(filepath.Join(dir, "logs", "error.log"))
	return string(b)
}

func nginxConfig(dir, module string, port int) string {
	return nginxtest.Config(dir, module, port, nginxtest.Options{Apps: []string{"live"}})
}

func (n *nginx) confPath() string { return filepath.Join(n.dir, "nginx.conf") }

// appURL is the RTMP URL of the "live" application; a stream key follows.
func (n *nginx) appURL() string {
	return "rtmp://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(n.port)) + "/live"
}

func (n *nginx) recordDir() string { return filepath.Join(n.dir, "records") }

func (n *nginx) pid() int { return n.cmd.Process.Pid }

func (n *nginx) start(binary string) error {
	cmd := exec.Command(binary, "-p", n.dir+"/", "-c", n.confPath(), "-e", filepath.Join(n.dir, "logs", "error.log"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// Should the harness die, the kernel ends nginx too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start nginx: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(n.port))
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			n.cmd, n.done = cmd, done
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("nginx exited before listening (output %q)", out.String())
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			<-done
			return errors.New("nginx port did not open")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop ends nginx (fast shutdown, then SIGKILL) and waits for it.
func (n *nginx) stop() {
	if n == nil || n.cmd == nil {
		return
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(5 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.done
	}
	n.cmd = nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// lookupNginx finds the nginx binary and the RTMP module to load.
func lookupNginx() (binary, module string, err error) {
	binary, module, err = nginxtest.Find()
	if err != nil {
		return "", "", fmt.Errorf("%w (or pass -url)", err)
	}
	return binary, module, nil
}
