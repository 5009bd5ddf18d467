// The x264 API that golivecast uses, as a table of function pointers, so
// that one encoder drives the library it was opened with, whether linked
// into the program or loaded at run time. The structures stay opaque:
// their layout is x264c's Go mirror, which the loaded library is checked
// against (x264_lib.go).

#ifndef GLC_X264_API_H
#define GLC_X264_API_H

#include <stddef.h>
#include <stdint.h>

typedef struct glc_x264 {
	void (*param_default)(void *param);
	int (*param_default_preset)(void *param, const char *preset, const char *tune);
	int (*param_apply_profile)(void *param, const char *profile);
	void (*picture_init)(void *pic);
	void *(*encoder_open)(void *param);
	void (*encoder_parameters)(void *h, void *param);
	int (*encoder_headers)(void *h, void **pp_nal, int *pi_nal);
	int (*encoder_encode)(void *h, void **pp_nal, int *pi_nal, void *pic_in, void *pic_out);
	int (*encoder_delayed_frames)(void *h);
	void (*encoder_close)(void *h);
	const int *chroma_format;
	int (*encoder_reconfig)(void *h, void *param);
} glc_x264;

// cgo cannot call through a C function pointer: these do.
static inline void glc_x264_param_default(const glc_x264 *x, void *p) { x->param_default(p); }
static inline int glc_x264_param_default_preset(const glc_x264 *x, void *p, const char *preset, const char *tune) {
	return x->param_default_preset(p, preset, tune);
}
static inline int glc_x264_param_apply_profile(const glc_x264 *x, void *p, const char *profile) {
	return x->param_apply_profile(p, profile);
}
static inline void glc_x264_picture_init(const glc_x264 *x, void *pic) { x->picture_init(pic); }
static inline void *glc_x264_encoder_open(const glc_x264 *x, void *p) { return x->encoder_open(p); }
static inline void glc_x264_encoder_parameters(const glc_x264 *x, void *h, void *p) { x->encoder_parameters(h, p); }
static inline int glc_x264_encoder_headers(const glc_x264 *x, void *h, void **nals, int *n) {
	return x->encoder_headers(h, nals, n);
}
static inline int glc_x264_encoder_encode(const glc_x264 *x, void *h, void **nals, int *n, void *in, void *out) {
	return x->encoder_encode(h, nals, n, in, out);
}
static inline int glc_x264_encoder_delayed_frames(const glc_x264 *x, void *h) { return x->encoder_delayed_frames(h); }
static inline void glc_x264_encoder_close(const glc_x264 *x, void *h) { x->encoder_close(h); }
static inline int glc_x264_chroma_format(const glc_x264 *x) { return *x->chroma_format; }
static inline int glc_x264_encoder_reconfig(const glc_x264 *x, void *h, void *p) { return x->encoder_reconfig(h, p); }

// glc_x264_encode_planes encodes a picture whose planes are Go memory.
// They are passed as call arguments, which cgo keeps in place for the
// call, and taken out of the C picture before returning: no Go pointer
// outlives the call, and nothing needs pinning (runtime.Pinner allocates).
static inline int glc_x264_encode_planes(const glc_x264 *x, void *h, void **nals, int *nnal, void *pic_in,
		void *pic_out, size_t planes_off, uint8_t *y, uint8_t *u, uint8_t *v) {
	void **planes = (void **)((char *)pic_in + planes_off);
	planes[0] = y;
	planes[1] = u;
	planes[2] = v;
	int ret = x->encoder_encode(h, nals, nnal, pic_in, pic_out);
	planes[0] = planes[1] = planes[2] = NULL;
	return ret;
}

#endif
