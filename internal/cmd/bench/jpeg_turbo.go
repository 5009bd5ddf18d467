//go:build linux && turbojpeg

package main

/*
#cgo LDFLAGS: -ljpeg
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>

// encode_rgba compresses an RGBA picture at quality into a buffer that
// libjpeg allocates with malloc; the caller frees it. pix is only read
// during the call.
static void encode_rgba(unsigned char *pix, int stride, int w, int h, int quality,
                        unsigned char **out, unsigned long *size) {
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr jerr;
	c.err = jpeg_std_error(&jerr);
	jpeg_create_compress(&c);
	*out = NULL;
	*size = 0;
	jpeg_mem_dest(&c, out, size);
	c.image_width = w;
	c.image_height = h;
	c.input_components = 4;
	c.in_color_space = JCS_EXT_RGBA;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, quality, TRUE);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < c.image_height) {
		JSAMPROW row = pix + (size_t)c.next_scanline * stride;
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
}
*/
import "C"

import (
	"fmt"
	"image"
	"io"
	"unsafe"
)

// turboJPEG is true when the recipe-turbo mode is built in.
const turboJPEG = true

// writeJPEGTurbo compresses img with libjpeg-turbo (what OpenCV's
// imencode uses in the original recipe) and writes it to w. It returns
// the size written.
func writeJPEGTurbo(w io.Writer, img image.Image, quality int) (int, error) {
	m, ok := img.(*image.RGBA)
	if !ok {
		return 0, fmt.Errorf("libjpeg: want *image.RGBA, got %T", img)
	}
	var out *C.uchar
	var size C.ulong
	b := m.Rect
	C.encode_rgba((*C.uchar)(unsafe.Pointer(&m.Pix[0])), C.int(m.Stride), C.int(b.Dx()), C.int(b.Dy()), C.int(quality), &out, &size)
	if out == nil {
		return 0, fmt.Errorf("libjpeg: no output")
	}
	defer C.free(unsafe.Pointer(out))
	return w.Write(unsafe.Slice((*byte)(unsafe.Pointer(out)), int(size)))
}
