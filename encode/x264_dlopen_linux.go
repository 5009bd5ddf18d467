//go:build linux && !extlib

package encode

/*
// glibc 2.34 and later have dlopen in libc; -ldl keeps older ones
// building and only adds a harmless dependency on the libdl stub.
#cgo linux LDFLAGS: -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include "x264_api.h"

#ifndef RTLD_DEEPBIND
#define RTLD_DEEPBIND 0 // musl: libraries not linked -Bsymbolic are refused
#endif

// glc_static reports a statically linked program (no program interpreter,
// so AT_BASE is 0): dlopen there maps a second libc, and libx264's first
// pthread_create aborts.
static int glc_static(void) { return getauxval(AT_BASE) == 0; }

// glc_dlopen returns a handle, or NULL with dlerror's text in err.
static void *glc_dlopen(const char *name, int flags, char *err, size_t errlen) {
	dlerror();
	void *h = dlopen(name, flags);
	if (!h) {
		const char *e = dlerror();
		snprintf(err, errlen, "%s", e ? e : "dlopen failed");
	}
	return h;
}

static void *glc_dlsym(void *h, const char *name) { return dlsym(h, name); }
static void glc_dlclose(void *h) { dlclose(h); }

// glc_symbolic reports whether the object was linked -Bsymbolic
// (DT_SYMBOLIC, or DF_SYMBOLIC in DT_FLAGS): its calls to its own exported
// functions are then bound inside it, and nothing can interpose on them.
static int glc_symbolic(void *h) {
	struct link_map *lm = NULL;
	if (dlinfo(h, RTLD_DI_LINKMAP, &lm) != 0 || lm == NULL || lm->l_ld == NULL) return 0;
	for (ElfW(Dyn) *d = lm->l_ld; d->d_tag != DT_NULL; d++) {
		if (d->d_tag == DT_SYMBOLIC) return 1;
		if (d->d_tag == DT_FLAGS && (d->d_un.d_val & DF_SYMBOLIC)) return 1;
	}
	return 0;
}

// glc_path is the file the dynamic linker mapped for h.
static const char *glc_path(void *h) {
	struct link_map *lm = NULL;
	if (dlinfo(h, RTLD_DI_LINKMAP, &lm) != 0 || lm == NULL || lm->l_name == NULL) return "";
	return lm->l_name;
}

// glc_bind fills a new table with the API of build `build`, or returns
// NULL with the first missing symbol in *missing.
static glc_x264 *glc_bind(void *h, int build, const char **missing) {
	glc_x264 *x = calloc(1, sizeof *x);
	if (!x) { *missing = "(out of memory)"; return NULL; }
	char open_name[40];
	snprintf(open_name, sizeof open_name, "x264_encoder_open_%d", build);
#define GLC_BIND(field, name) \
	do { *(void **)&x->field = dlsym(h, name); if (!x->field) { *missing = name; free(x); return NULL; } } while (0)
	GLC_BIND(param_default, "x264_param_default");
	GLC_BIND(param_default_preset, "x264_param_default_preset");
	GLC_BIND(param_apply_profile, "x264_param_apply_profile");
	GLC_BIND(picture_init, "x264_picture_init");
	GLC_BIND(encoder_parameters, "x264_encoder_parameters");
	GLC_BIND(encoder_headers, "x264_encoder_headers");
	GLC_BIND(encoder_encode, "x264_encoder_encode");
	GLC_BIND(encoder_delayed_frames, "x264_encoder_delayed_frames");
	GLC_BIND(encoder_close, "x264_encoder_close");
	GLC_BIND(chroma_format, "x264_chroma_format");
	GLC_BIND(encoder_reconfig, "x264_encoder_reconfig");
#undef GLC_BIND
	*(void **)&x->encoder_open = dlsym(h, open_name);
	if (!x->encoder_open) { *missing = "x264_encoder_open_<build>"; free(x); return NULL; }
	return x;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unsafe"
)

// x264VerifiedBuilds are the X264_BUILDs whose x264.h declares
// x264_param_t, x264_picture_t (with the structures inside them) and
// x264_nal_t exactly as the bundled build 165 does, which x264c mirrors.
// Build 164 (Debian 12, Ubuntu 24.04) was compared field by field; 161
// and older differ; 163 is unchecked.
var x264VerifiedBuilds = map[int]bool{164: true, 165: true}

// dlopenX264 loads the first of names (sonames or paths) that is a
// usable libx264, for the life of the process.
func dlopenX264(names []string) (*x264Lib, error) {
	if C.glc_static() != 0 {
		return nil, errors.New("statically linked program: no dlopen")
	}
	var errs []string
	for _, name := range names {
		x, err := dlopenX264One(name)
		if err == nil {
			return x, nil
		}
		errs = append(errs, fmt.Sprintf("%s: %v", name, err))
	}
	return nil, errors.New(strings.Join(errs, "; "))
}

// dlopenX264One first maps the library lazily, calling none of it, to
// read its build and whether it was linked -Bsymbolic, and unmaps it.
// Then it maps it for use: with RTLD_DEEPBIND when it was not linked
// -Bsymbolic, or its calls to its own exported functions could bind to
// an x264 the program exports (a -rdynamic program holding the bundled
// one). A library that x264 code was run from is never unmapped.
func dlopenX264One(name string) (*x264Lib, error) {
	h, err := dlopenFile(name, C.RTLD_LAZY|C.RTLD_LOCAL)
	if err != nil {
		return nil, err
	}
	build := x264BuildOf(h, name)
	symbolic := C.glc_symbolic(h) != 0
	C.glc_dlclose(h)
	switch {
	case build == 0:
		return nil, errors.New("not a libx264 (no x264_encoder_open_<build> symbol)")
	case !x264VerifiedBuilds[build]:
		return nil, fmt.Errorf("X264_BUILD %d: its structures are not verified to match build 165's", build)
	}
	flags := C.int(C.RTLD_NOW | C.RTLD_LOCAL)
	if !symbolic {
		if C.RTLD_DEEPBIND == 0 {
			return nil, fmt.Errorf("X264_BUILD %d: not linked -Bsymbolic, and no RTLD_DEEPBIND here", build)
		}
		flags |= C.RTLD_DEEPBIND
	}
	if h, err = dlopenFile(name, flags); err != nil {
		return nil, err
	}
	var missing *C.char
	api := C.glc_bind(h, C.int(build), &missing)
	if api == nil {
		C.glc_dlclose(h)
		return nil, fmt.Errorf("X264_BUILD %d: no symbol %s", build, C.GoString(missing))
	}
	x, err := newX264Lib(api, X264System, C.GoString(C.glc_path(h)), build)
	if err != nil {
		C.free(unsafe.Pointer(api))
		return nil, err
	}
	return x, nil
}

func dlopenFile(name string, flags C.int) (unsafe.Pointer, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var msg [512]C.char
	h := C.glc_dlopen(cname, flags, &msg[0], C.size_t(len(msg)))
	if h == nil {
		// dlerror names the file: the caller does.
		return nil, errors.New(strings.TrimPrefix(C.GoString(&msg[0]), name+": "))
	}
	return h, nil
}

// x264BuildOf reads X264_BUILD from the versioned x264_encoder_open_<N>
// (libx264 exports no variable holding it): the soname's number first,
// then a scan.
func x264BuildOf(h unsafe.Pointer, name string) int {
	has := func(n int) bool {
		s := C.CString("x264_encoder_open_" + strconv.Itoa(n))
		defer C.free(unsafe.Pointer(s))
		return C.glc_dlsym(h, s) != nil
	}
	if i := strings.LastIndex(name, ".so."); i >= 0 {
		if n, err := strconv.Atoi(name[i+len(".so."):]); err == nil && n > 0 && has(n) {
			return n
		}
	}
	for n := 100; n < 300; n++ {
		if has(n) {
			return n
		}
	}
	return 0
}
