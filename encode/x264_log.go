package encode

/*
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>

extern void golivecastX264Log(uintptr_t handle, int level, char *msg);

// x264 formats its messages with printf-style arguments; Go cannot take a
// va_list, so the message is formatted here and handed over as a string.
static void golivecast_x264_log(void *priv, int level, const char *fmt, va_list ap) {
	char buf[1024];
	vsnprintf(buf, sizeof buf, fmt, ap);
	golivecastX264Log(*(uintptr_t *)priv, level, buf);
}

static void *golivecast_x264_log_fn(void) { return (void *)golivecast_x264_log; }
*/
import "C"

import "unsafe"

// x264LogFunc is the pf_log callback installed in every encoder, so that
// x264 never writes to stderr.
func x264LogFunc() *[0]byte { return (*[0]byte)(unsafe.Pointer(C.golivecast_x264_log_fn())) }
