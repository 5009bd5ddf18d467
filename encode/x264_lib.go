package encode

/*
#include <stdlib.h>
#include "x264_api.h"
*/
import "C"

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/gen2brain/x264-go/x264c"
)

// x264Lib is one x264 library and what is known of it. An encoder makes
// every call on the library it was opened with: a Param filled by one
// copy of x264 never reaches another.
type x264Lib struct {
	api  *C.glc_x264
	info X264Library
}

// newX264Lib checks the library behind api and describes it. Its
// structures must be the ones x264c mirrors; backend, path and build say
// where it comes from.
func newX264Lib(api *C.glc_x264, backend X264Backend, path string, build int) (*x264Lib, error) {
	x := &x264Lib{api: api, info: X264Library{Backend: backend, Path: path, Build: build}}
	cpu, err := x.probe()
	if err != nil {
		return nil, fmt.Errorf("X264_BUILD %d: %w", build, err)
	}
	x.info.CPU = x264CPUNames(cpu)
	return x, nil
}

// probe checks, in the library itself, that x264_param_default and
// x264_picture_init write structures of the sizes of x264c's mirrors,
// with x264's known defaults at the mirrors' offsets, and that the
// library encodes 8-bit 4:2:0. It returns the CPU flags x264 detected.
func (x *x264Lib) probe() (cpu uint32, err error) {
	const size = 4096
	const sentinel = 0xA5
	buf := C.malloc(size)
	defer C.free(buf)
	b := unsafe.Slice((*byte)(buf), size)
	// Both functions clear the whole structure first: the last byte not
	// left at the sentinel is its end.
	written := func(init func()) int {
		for i := range b {
			b[i] = sentinel
		}
		init()
		n := size
		for n > 0 && b[n-1] == sentinel {
			n--
		}
		return n
	}

	n := written(func() { C.glc_x264_param_default(x.api, buf) })
	if want := int(unsafe.Sizeof(x264c.Param{})); n != want {
		return 0, fmt.Errorf("x264_param_default wrote %d bytes, want sizeof(x264_param_t) %d", n, want)
	}
	p := (*x264c.Param)(buf)
	for _, c := range []struct {
		field     string
		got, want int64
	}{
		{"i_csp", int64(p.ICsp), x264c.CspI420},
		{"i_bitdepth", int64(p.IBitdepth), 8},
		{"i_keyint_max", int64(p.IKeyintMax), 250},
		{"i_bframe", int64(p.IBframe), 3},
		{"i_bframe_pyramid", int64(p.IBframePyramid), x264c.BPyramidNormal},
		{"i_scenecut_threshold", int64(p.IScenecutThreshold), 40},
		{"i_log_level", int64(p.ILogLevel), x264c.LogInfo},
		{"pf_log != NULL", bool64(p.PfLog != nil), 1},
		{"rc.i_rc_method", int64(p.Rc.IRcMethod), x264c.RcCrf},
		{"rc.f_rf_constant", int64(math.Float32bits(p.Rc.FRfConstant)), int64(math.Float32bits(23))},
		{"rc.i_lookahead", int64(p.Rc.ILookahead), 40},
		{"i_frame_packing", int64(p.IFramePacking), -1},
		{"i_alternative_transfer", int64(p.IAlternativeTransfer), 2},
		{"b_aud", int64(p.BAud), 0},
		{"b_repeat_headers", int64(p.BRepeatHeaders), 1},
		{"b_annexb", int64(p.BAnnexb), 1},
		{"b_vfr_input", int64(p.BVfrInput), 1},
		{"i_fps_num", int64(p.IFpsNum), 25},
		{"i_fps_den", int64(p.IFpsDen), 1},
		{"b_tff", int64(p.BTff), 1},
		{"cqm_8pc[63]", int64(p.Cqm8pc[63]), 16},
	} {
		if c.got != c.want {
			return 0, fmt.Errorf("x264_param_default: %s = %d, want %d: structure layout differs", c.field, c.got, c.want)
		}
	}
	cpu = p.Cpu

	n = written(func() { C.glc_x264_picture_init(x.api, buf) })
	if want := int(unsafe.Sizeof(x264c.Picture{})); n != want {
		return 0, fmt.Errorf("x264_picture_init wrote %d bytes, want sizeof(x264_picture_t) %d", n, want)
	}
	// 0 means every chroma format.
	if cf := int(C.glc_x264_chroma_format(x.api)); cf != 0 && cf != x264c.CspI420 {
		return 0, fmt.Errorf("x264_chroma_format %d: no 4:2:0", cf)
	}
	return cpu, nil
}

func bool64(v bool) int64 {
	if v {
		return 1
	}
	return 0
}

// The calls an encoder makes, in the shape of x264.h.

func (x *x264Lib) paramDefaultPreset(p *x264c.Param, preset, tune string) int32 {
	cp, ct := C.CString(preset), (*C.char)(nil)
	defer C.free(unsafe.Pointer(cp))
	if tune != "" {
		ct = C.CString(tune)
		defer C.free(unsafe.Pointer(ct))
	}
	return int32(C.glc_x264_param_default_preset(x.api, unsafe.Pointer(p), cp, ct))
}

func (x *x264Lib) paramApplyProfile(p *x264c.Param, profile string) int32 {
	cp := C.CString(profile)
	defer C.free(unsafe.Pointer(cp))
	return int32(C.glc_x264_param_apply_profile(x.api, unsafe.Pointer(p), cp))
}

func (x *x264Lib) pictureInit(pic *x264c.Picture) {
	C.glc_x264_picture_init(x.api, unsafe.Pointer(pic))
}

func (x *x264Lib) encoderOpen(p *x264c.Param) *x264c.T {
	return (*x264c.T)(C.glc_x264_encoder_open(x.api, unsafe.Pointer(p)))
}

func (x *x264Lib) encoderParameters(h *x264c.T, p *x264c.Param) {
	C.glc_x264_encoder_parameters(x.api, unsafe.Pointer(h), unsafe.Pointer(p))
}

func (x *x264Lib) encoderHeaders(h *x264c.T, nals **x264c.Nal, n *int32) int32 {
	return int32(C.glc_x264_encoder_headers(x.api, unsafe.Pointer(h), (*unsafe.Pointer)(unsafe.Pointer(nals)),
		(*C.int)(unsafe.Pointer(n))))
}

// encoderEncode encodes pic, which is in C memory with its planes, or
// drains a delayed picture when pic is nil.
func (x *x264Lib) encoderEncode(h *x264c.T, nals **x264c.Nal, n *int32, pic, out *x264c.Picture) int32 {
	return int32(C.glc_x264_encoder_encode(x.api, unsafe.Pointer(h), (*unsafe.Pointer)(unsafe.Pointer(nals)),
		(*C.int)(unsafe.Pointer(n)), unsafe.Pointer(pic), unsafe.Pointer(out)))
}

// encodePlanes encodes pic, in C memory, with the 4:2:0 planes y, u and v
// in Go memory; pic's strides are already set.
func (x *x264Lib) encodePlanes(h *x264c.T, nals **x264c.Nal, n *int32, pic, out *x264c.Picture, y, u, v *byte) int32 {
	return int32(C.glc_x264_encode_planes(x.api, unsafe.Pointer(h), (*unsafe.Pointer)(unsafe.Pointer(nals)),
		(*C.int)(unsafe.Pointer(n)), unsafe.Pointer(pic), unsafe.Pointer(out),
		C.size_t(unsafe.Offsetof(pic.Img)+unsafe.Offsetof(pic.Img.Plane)),
		(*C.uint8_t)(y), (*C.uint8_t)(u), (*C.uint8_t)(v)))
}

func (x *x264Lib) encoderDelayedFrames(h *x264c.T) int32 {
	return int32(C.glc_x264_encoder_delayed_frames(x.api, unsafe.Pointer(h)))
}

func (x *x264Lib) encoderClose(h *x264c.T) { C.glc_x264_encoder_close(x.api, unsafe.Pointer(h)) }

func (x *x264Lib) encoderReconfig(h *x264c.T, p *x264c.Param) int32 {
	return int32(C.glc_x264_encoder_reconfig(x.api, unsafe.Pointer(h), unsafe.Pointer(p)))
}
