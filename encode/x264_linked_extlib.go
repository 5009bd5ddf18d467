//go:build extlib

package encode

/*
// dladdr: in libc since glibc 2.34, in libdl before.
#cgo linux LDFLAGS: -ldl
#define _GNU_SOURCE
#include <stdint.h>
#include <x264.h>
#include "x264_api.h"
#ifndef _WIN32
#include <dlfcn.h>
#endif

// With -tags extlib, x264c links the system libx264 and its x264.h
// declares the API, x264_encoder_open being a macro for the versioned
// name of that build.
static const glc_x264 glc_x264_linked = {
	(void (*)(void *))x264_param_default,
	(int (*)(void *, const char *, const char *))x264_param_default_preset,
	(int (*)(void *, const char *))x264_param_apply_profile,
	(void (*)(void *))x264_picture_init,
	(void *(*)(void *))x264_encoder_open,
	(void (*)(void *, void *))x264_encoder_parameters,
	(int (*)(void *, void **, int *))x264_encoder_headers,
	(int (*)(void *, void **, int *, void *, void *))x264_encoder_encode,
	(int (*)(void *))x264_encoder_delayed_frames,
	(void (*)(void *))x264_encoder_close,
	&x264_chroma_format,
	(int (*)(void *, void *))x264_encoder_reconfig,
};

static const glc_x264 *glc_x264_linked_api(void) { return &glc_x264_linked; }

// glc_x264_linked_path is the file the dynamic linker mapped the library
// from, or "" when that cannot be told (a static libx264.a, Windows).
static const char *glc_x264_linked_path(void) {
#ifndef _WIN32
	Dl_info info, self;
	if (!dladdr((void *)x264_encoder_encode, &info) || !info.dli_fname)
		return "";
	// Linked statically: the library is part of the program.
	if (dladdr((void *)glc_x264_linked_path, &self) && self.dli_fbase == info.dli_fbase)
		return "";
	return info.dli_fname;
#endif
	return "";
}
*/
import "C"

// linkedBackend is what the x264 linked into the program is.
const linkedBackend = X264Linked

func linkedX264API() *C.glc_x264 { return C.glc_x264_linked_api() }

func linkedX264Path() string { return C.GoString(C.glc_x264_linked_path()) }
