//go:build !linux

package nginx

import "syscall"

// procAttr is nil where the kernel has no parent-death signal: nginx then
// outlives a test binary that dies without running its cleanups. The
// package still builds there so that the tests that import it compile.
func procAttr() *syscall.SysProcAttr { return nil }
