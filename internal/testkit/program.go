package testkit

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// An example program's tests run the program as a user does: its command
// line, its exit status and what it prints. The program is the test
// binary itself: TestMain calls AsProgram, which runs the program's main
// instead of the tests when the environment says so. The program is so
// built once, by go test, with the test's flags (-race included), and not
// a second time by the tests.

// programEnv marks a run of the test binary as the program.
const programEnv = "GOLIVECAST_TEST_AS_PROGRAM"

// AsProgram runs main and exits when the test binary was started by
// RunProgram; otherwise it returns, and TestMain goes on with the tests.
func AsProgram(main func()) {
	if os.Getenv(programEnv) == "1" {
		main()
		os.Exit(0)
	}
}

// ProgramEnv is the environment of a run of the program. A race-enabled
// binary sleeps 1 s on exit by default, which would blur how quickly the
// program stops.
func ProgramEnv() []string {
	return append(os.Environ(), programEnv+"=1", "GORACE=atexit_sleep_ms=0")
}

// Program returns a command that runs the program (the test binary)
// with args, in a temporary directory of t's.
func Program(t testing.TB, ctx context.Context, args ...string) *exec.Cmd {
	t.Helper()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = ProgramEnv()
	cmd.Dir = t.TempDir()
	cmd.WaitDelay = time.Second
	return cmd
}

// Run is how one run of the program ended.
type Run struct {
	Stdout, Stderr string
	Code           int
	Took           time.Duration
}

// RunProgram runs the program with args and waits for it, failing the
// test if it is still running after limit.
func RunProgram(t testing.TB, limit time.Duration, args ...string) Run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := Program(t, ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := Run{Stdout: stdout.String(), Stderr: stderr.String(), Code: cmd.ProcessState.ExitCode(), Took: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("%s: still running after %v; stderr:\n%s", strings.Join(args, " "), limit, Lines(r.Stderr))
	}
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("running the program: %v", err)
	}
	return r
}

// RequireOK fails the test unless the run exited 0.
func (r Run) RequireOK(t testing.TB) {
	t.Helper()
	if r.Code != 0 {
		t.Fatalf("exit status %d after %v, want 0; stderr:\n%s", r.Code, r.Took.Round(time.Millisecond), Lines(r.Stderr))
	}
}

// Lines shows a status line's carriage returns as line breaks.
func Lines(s string) string { return strings.ReplaceAll(s, "\r", "\n") }

// Running is a program started in the background by StartProgram.
type Running struct {
	cmd    *exec.Cmd
	stderr lockedBuffer
	done   chan struct{} // closed once the process has exited
	err    error         // its exit, once done is closed
}

// StartProgram starts cmd (from Program, which the caller may still
// prepare, say with a stdin pipe), keeping what it writes on stderr. The
// program is killed when the test ends, if it still runs.
func StartProgram(t testing.TB, cmd *exec.Cmd) *Running {
	t.Helper()
	r := &Running{cmd: cmd, done: make(chan struct{})}
	cmd.Stderr = &r.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { // ends with the process, which Kill ends
		r.err = cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(r.Kill)
	return r
}

// Stderr is what the program has written on stderr so far.
func (r *Running) Stderr() string { return r.stderr.String() }

// Done is closed once the program has exited; Err then says how.
func (r *Running) Done() <-chan struct{} { return r.done }

// Err is the program's exit, once Done is closed.
func (r *Running) Err() error {
	<-r.done
	return r.err
}

// Kill kills the program if it still runs and waits for it.
func (r *Running) Kill() {
	_ = r.cmd.Process.Kill()
	<-r.done
}

// Interrupt sends sig and requires the program to exit with status 0
// within 2 s; it is killed after 5 s. It returns how long it took.
func (r *Running) Interrupt(t testing.TB, sig os.Signal) time.Duration {
	t.Helper()
	if err := r.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	select {
	case <-r.done:
		took := time.Since(sent)
		t.Logf("exited %v after %v", r.err, took.Round(time.Millisecond))
		if r.err != nil {
			t.Fatalf("exit: %v; stderr:\n%s", r.err, Lines(r.Stderr()))
		}
		if took > 2*time.Second {
			t.Errorf("took %v to exit after %v, want at most 2s", took, sig)
		}
		return took
	case <-time.After(5 * time.Second):
		r.Kill()
		t.Fatalf("still running 5s after %v; stderr:\n%s", sig, Lines(r.Stderr()))
		return 0
	}
}

// lockedBuffer collects a child's output, which exec writes from its own
// goroutine while the test may read it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
