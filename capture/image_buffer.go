package capture

import (
	"image"
	"image/draw"
)

// imageBuffer is picture storage owned by a push adapter and reused from
// frame to frame, so that copying a producer's image costs a memcpy and
// no allocation once the size is stable.
type imageBuffer struct {
	rgba  *image.RGBA
	ycbcr *image.YCbCr
}

// copyFrom copies src into the buffer and returns the copy. The storage
// is reallocated only when the type, bounds or chroma subsampling change.
// *image.YCbCr stays YCbCr, so an encoder fed I420 gets I420 without a
// colour conversion; every other type is converted to *image.RGBA.
func (b *imageBuffer) copyFrom(src image.Image) image.Image {
	switch s := src.(type) {
	case *image.YCbCr:
		return b.copyYCbCr(s)
	case *image.RGBA:
		d := b.rgbaFor(s.Rect)
		w := 4 * s.Rect.Dx()
		for y := s.Rect.Min.Y; y < s.Rect.Max.Y; y++ {
			so := s.PixOffset(s.Rect.Min.X, y)
			do := d.PixOffset(s.Rect.Min.X, y)
			copy(d.Pix[do:do+w], s.Pix[so:so+w])
		}
		return d
	default:
		r := src.Bounds()
		d := b.rgbaFor(r)
		draw.Draw(d, r, src, r.Min, draw.Src)
		return d
	}
}

func (b *imageBuffer) rgbaFor(r image.Rectangle) *image.RGBA {
	if b.rgba == nil || b.rgba.Rect != r {
		b.rgba = image.NewRGBA(r)
	}
	return b.rgba
}

func (b *imageBuffer) copyYCbCr(s *image.YCbCr) *image.YCbCr {
	d := b.ycbcr
	if d == nil || d.Rect != s.Rect || d.SubsampleRatio != s.SubsampleRatio {
		d = image.NewYCbCr(s.Rect, s.SubsampleRatio)
		b.ycbcr = d
	}
	r := s.Rect
	if r.Empty() {
		return d
	}
	w, h := r.Dx(), r.Dy()
	so := s.YOffset(r.Min.X, r.Min.Y)
	for y := 0; y < h; y++ {
		copy(d.Y[y*d.YStride:y*d.YStride+w], s.Y[so+y*s.YStride:])
	}
	cw, ch := chromaSize(r, s.SubsampleRatio)
	co := s.COffset(r.Min.X, r.Min.Y)
	for y := 0; y < ch; y++ {
		dr := d.Cb[y*d.CStride : y*d.CStride+cw]
		copy(dr, s.Cb[co+y*s.CStride:])
		dr = d.Cr[y*d.CStride : y*d.CStride+cw]
		copy(dr, s.Cr[co+y*s.CStride:])
	}
	return d
}

// chromaSize mirrors the plane sizes image.NewYCbCr allocates, so a copy
// covers exactly the samples the bounds use, including odd edges.
func chromaSize(r image.Rectangle, ratio image.YCbCrSubsampleRatio) (cw, ch int) {
	w, h := r.Dx(), r.Dy()
	switch ratio {
	case image.YCbCrSubsampleRatio422:
		return (r.Max.X+1)/2 - r.Min.X/2, h
	case image.YCbCrSubsampleRatio420:
		return (r.Max.X+1)/2 - r.Min.X/2, (r.Max.Y+1)/2 - r.Min.Y/2
	case image.YCbCrSubsampleRatio440:
		return w, (r.Max.Y+1)/2 - r.Min.Y/2
	case image.YCbCrSubsampleRatio411:
		return (r.Max.X+3)/4 - r.Min.X/4, h
	case image.YCbCrSubsampleRatio410:
		return (r.Max.X+3)/4 - r.Min.X/4, (r.Max.Y+1)/2 - r.Min.Y/2
	default:
		return w, h
	}
}
