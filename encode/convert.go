package encode

import (
	"fmt"
	"image"
)

// BT.601 limited-range coefficients, scaled by 256 (ITU-R BT.601-7,
// section 2.5.3, with 8-bit quantisation of section 2.5.4).
//
//	Y  = 16  + ( 66 R + 129 G +  25 B) / 256
//	Cb = 128 + (-38 R -  74 G + 112 B) / 256
//	Cr = 128 + (112 R -  94 G -  18 B) / 256

// rgbaToI420Go converts 8-bit RGBA rows into I420 planes. With straight
// (non-premultiplied) alpha the colour is first composited over black,
// which is what premultiplied RGBA already holds. Chroma is taken from the
// mean of each 2x2 block. It allocates nothing.
//
// It is the reference that the C conversion rgbaToI420 matches bit for
// bit, and its fallback.
func rgbaToI420Go(y, cb, cr, pix []byte, stride, w, h int, straight bool) {
	cw := w / 2
	for row := 0; row < h; row += 2 {
		p0 := pix[row*stride : row*stride+4*w]
		p1 := pix[(row+1)*stride : (row+1)*stride+4*w]
		y0 := y[row*w : row*w+w]
		y1 := y[(row+1)*w : (row+1)*w+w]
		cbr := cb[(row/2)*cw : (row/2)*cw+cw]
		crr := cr[(row/2)*cw : (row/2)*cw+cw]
		for x := 0; x < cw; x++ {
			i := 8 * x
			r00, g00, b00 := px(p0[i:i+4:i+4], straight)
			r01, g01, b01 := px(p0[i+4:i+8:i+8], straight)
			r10, g10, b10 := px(p1[i:i+4:i+4], straight)
			r11, g11, b11 := px(p1[i+4:i+8:i+8], straight)
			y0[2*x] = luma(r00, g00, b00)
			y0[2*x+1] = luma(r01, g01, b01)
			y1[2*x] = luma(r10, g10, b10)
			y1[2*x+1] = luma(r11, g11, b11)
			r := (r00 + r01 + r10 + r11 + 2) >> 2
			g := (g00 + g01 + g10 + g11 + 2) >> 2
			b := (b00 + b01 + b10 + b11 + 2) >> 2
			cbr[x] = uint8((-38*r-74*g+112*b+128)>>8 + 128)
			crr[x] = uint8((112*r-94*g-18*b+128)>>8 + 128)
		}
	}
}

func px(p []byte, straight bool) (r, g, b int32) {
	r, g, b = int32(p[0]), int32(p[1]), int32(p[2])
	if straight {
		if a := int32(p[3]); a != 255 {
			r, g, b = (r*a+127)/255, (g*a+127)/255, (b*a+127)/255
		}
	}
	return r, g, b
}

func luma(r, g, b int32) uint8 {
	return uint8((66*r+129*g+25*b+128)>>8 + 16)
}

// anyToI420 converts any image through its color model, one pixel at a
// time: correct for every image type, and slow.
func anyToI420(y, cb, cr []byte, img image.Image, w, h int) {
	min := img.Bounds().Min
	cw := w / 2
	for row := 0; row < h; row += 2 {
		for x := 0; x < w; x += 2 {
			var rs, gs, bs int32
			for dy := 0; dy < 2; dy++ {
				for dx := 0; dx < 2; dx++ {
					r16, g16, b16, _ := img.At(min.X+x+dx, min.Y+row+dy).RGBA()
					r, g, b := int32(r16>>8), int32(g16>>8), int32(b16>>8)
					y[(row+dy)*w+x+dx] = luma(r, g, b)
					rs, gs, bs = rs+r, gs+g, bs+b
				}
			}
			r, g, b := (rs+2)>>2, (gs+2)>>2, (bs+2)>>2
			cb[(row/2)*cw+x/2] = uint8((-38*r-74*g+112*b+128)>>8 + 128)
			cr[(row/2)*cw+x/2] = uint8((112*r-94*g-18*b+128)>>8 + 128)
		}
	}
}

// ToI420 converts src into dst, a 4:2:0 image of the same size, with the
// same conversion the encoder applies (BT.601 limited range). It lets a
// caller keep its own copy of a picture it must hand back, and the
// encoder then reads dst without copying. It allocates nothing.
func ToI420(dst *image.YCbCr, src image.Image) error {
	if src == nil {
		return ErrNilImage
	}
	if dst == nil || dst.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return fmt.Errorf("%w: destination must be a 4:2:0 YCbCr image", ErrConfig)
	}
	sb, db := src.Bounds(), dst.Bounds()
	w, h := db.Dx(), db.Dy()
	if sb.Dx() != w || sb.Dy() != h {
		return fmt.Errorf("%w: got %dx%d, configured %dx%d", ErrImageSize, sb.Dx(), sb.Dy(), w, h)
	}
	if w%2 != 0 || h%2 != 0 {
		return fmt.Errorf("%w: size %dx%d: width and height must be even for 4:2:0", ErrImageSize, w, h)
	}
	// Work on tight planes when dst is; otherwise row by row through
	// its strides.
	yo, co := dst.YOffset(db.Min.X, db.Min.Y), dst.COffset(db.Min.X, db.Min.Y)
	if dst.YStride != w || dst.CStride != w/2 {
		return fmt.Errorf("%w: destination planes must be tight (stride = width)", ErrConfig)
	}
	y, cb, cr := dst.Y[yo:yo+w*h], dst.Cb[co:co+w*h/4], dst.Cr[co:co+w*h/4]
	switch m := src.(type) {
	case *image.RGBA:
		rgbaToI420(y, cb, cr, m.Pix[m.PixOffset(sb.Min.X, sb.Min.Y):], m.Stride, w, h, false)
	case *image.NRGBA:
		rgbaToI420(y, cb, cr, m.Pix[m.PixOffset(sb.Min.X, sb.Min.Y):], m.Stride, w, h, true)
	case *image.YCbCr:
		if m.SubsampleRatio != image.YCbCrSubsampleRatio420 {
			anyToI420(y, cb, cr, src, w, h)
			break
		}
		for r := 0; r < h; r++ {
			i := m.YOffset(sb.Min.X, sb.Min.Y+r)
			copy(y[r*w:(r+1)*w], m.Y[i:i+w])
		}
		for r := 0; r < h/2; r++ {
			i := m.COffset(sb.Min.X, sb.Min.Y+2*r)
			copy(cb[r*w/2:(r+1)*w/2], m.Cb[i:i+w/2])
			copy(cr[r*w/2:(r+1)*w/2], m.Cr[i:i+w/2])
		}
	default:
		anyToI420(y, cb, cr, src, w, h)
	}
	return nil
}
