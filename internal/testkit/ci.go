package testkit

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"
)

// CI reports whether the tests run under CI=true, where every tool the
// tests need is installed and a missing one is an error.
func CI() bool { return os.Getenv("CI") == "true" }

// Missing fails the test under CI=true and skips it otherwise, saying
// what is missing and how to get it.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if CI() {
		t.Fatalf("testkit (CI=true): %s", msg)
	}
	t.Skipf("testkit: %s", msg)
}

// RequireTools calls Missing with hint when one of the named programs is
// not on PATH.
func RequireTools(t testing.TB, hint string, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := exec.LookPath(name); err != nil {
			Missing(t, "%s: %v", hint, err)
		}
	}
}

// FreePort returns a loopback port nothing listened on a moment ago: for a
// server a test starts later, or to be refused.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Eventually polls cond until it holds (see Poll), and fails the test,
// naming what it waited for, once timeout has passed. It is the way to
// wait for something another goroutine or process does, instead of a
// fixed sleep.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Poll(timeout, cond) {
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
}

// Poll calls cond until it holds, and reports whether it did before
// timeout passed. It asks every millisecond at first, then less and less
// often, up to every 50 ms, so that a cond that costs something (a
// process, a connection) is not run thousands of times.
func Poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for wait := time.Millisecond; !cond(); wait = min(2*wait, 50*time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(wait)
	}
	return true
}
