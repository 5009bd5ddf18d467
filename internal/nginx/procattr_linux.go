package nginx

import "syscall"

// procAttr makes the kernel kill nginx should the test binary die without
// running its cleanups, instead of leaving it holding the port.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
