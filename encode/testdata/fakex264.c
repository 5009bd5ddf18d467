// A stand-in libx264 for the loader's refusals, built by the tests with
// -DBUILD=<X264_BUILD> -DPARAM_SIZE=<bytes x264_param_default writes>.
#include <string.h>

#define CAT(a, b) a##b
#define OPEN(b) CAT(x264_encoder_open_, b)

const int x264_chroma_format = 0;

void x264_param_default(void *p) { memset(p, 0, PARAM_SIZE); }
int x264_param_default_preset(void *p, const char *preset, const char *tune) { x264_param_default(p); return 0; }
int x264_param_apply_profile(void *p, const char *profile) { return 0; }
void x264_picture_init(void *pic) { memset(pic, 0, 240); }
void *OPEN(BUILD)(void *p) { return 0; }
void x264_encoder_parameters(void *h, void *p) {}
int x264_encoder_headers(void *h, void **nal, int *n) { return -1; }
int x264_encoder_encode(void *h, void **nal, int *n, void *in, void *out) { return -1; }
int x264_encoder_delayed_frames(void *h) { return 0; }
void x264_encoder_close(void *h) {}
int x264_encoder_reconfig(void *h, void *p) { return -1; }
