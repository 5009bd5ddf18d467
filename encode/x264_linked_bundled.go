//go:build !extlib

package encode

/*
#include "x264_api.h"

// The bundled x264's entry points, its structures left opaque: x264.h
// lives in x264-go's tree, out of reach of this package's includes. Only
// x264_encoder_open carries the build in its name.
extern void x264_param_default(void *);
extern int x264_param_default_preset(void *, const char *, const char *);
extern int x264_param_apply_profile(void *, const char *);
extern void x264_picture_init(void *);
extern void *x264_encoder_open_165(void *);
extern void x264_encoder_parameters(void *, void *);
extern int x264_encoder_headers(void *, void **, int *);
extern int x264_encoder_encode(void *, void **, int *, void *, void *);
extern int x264_encoder_delayed_frames(void *);
extern void x264_encoder_close(void *);
extern const int x264_chroma_format;
extern int x264_encoder_reconfig(void *, void *);

static const glc_x264 glc_x264_linked = {
	x264_param_default,
	x264_param_default_preset,
	x264_param_apply_profile,
	x264_picture_init,
	x264_encoder_open_165,
	x264_encoder_parameters,
	x264_encoder_headers,
	x264_encoder_encode,
	x264_encoder_delayed_frames,
	x264_encoder_close,
	&x264_chroma_format,
	x264_encoder_reconfig,
};

static const glc_x264 *glc_x264_linked_api(void) { return &glc_x264_linked; }
*/
import "C"

import "github.com/gen2brain/x264-go/x264c"

// The table above names x264_encoder_open_165: a bundled x264 of another
// build stops the compilation here, to be checked against x264c's Go
// mirror of the structures before the number is changed.
var _ = [1]struct{}{}[x264c.Build-165]

// linkedBackend is what the x264 linked into the program is.
const linkedBackend = X264Bundled

func linkedX264API() *C.glc_x264 { return C.glc_x264_linked_api() }

// linkedX264Path is empty: the bundled x264 is part of the program.
func linkedX264Path() string { return "" }
