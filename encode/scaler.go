package encode

import (
	"fmt"
	"image"
	"image/color"
)

// Scaler writes pictures of any size into a 4:2:0 image of the encoder's
// size, as its Fit says: a picture of that size is converted as ToI420
// converts it; one of another size is scaled (see Fit) and the rest of
// the frame is black (Y 16, Cb and Cr 128).
//
// Scaling works on 4:2:0 planes: an RGBA or NRGBA picture is first
// converted at its own size by the same C code as ToI420, a 4:2:0 YCbCr
// picture is read in place, and any other image goes through its colour
// model (correct, and slow). Each plane is then resampled with a filter
// that interpolates bilinearly when enlarging and averages every source
// pixel an output pixel covers when shrinking, so that fine detail does
// not shimmer.
//
// A Scaler keeps the filters and buffers it made for the last sizes it
// saw, so that a stream of pictures of one size allocates nothing after
// the first. Its zero value is ready to use, with FitLetterbox. It is not
// safe for concurrent use.
type Scaler struct {
	// Fit says what to do with a picture of another size. It defaults to
	// FitLetterbox.
	Fit Fit

	src, frame image.Point     // the sizes the filters were made for
	place      image.Rectangle // and where the picture lands
	luma       [2]scaleFilter  // x, y
	chroma     [2]scaleFilter
	planes     []byte // the picture converted to 4:2:0 at its own size
	rgba       []byte // an odd-sized RGBA or NRGBA picture, made even
	row        []byte // one vertically filtered row
}

// ToI420 writes src into dst, a 4:2:0 YCbCr image of even width and
// height whose planes are tight (stride = width), as s.Fit says. With
// FitReject, or a picture of dst's size, it is ToI420.
func (s *Scaler) ToI420(dst *image.YCbCr, src image.Image) error {
	if src == nil {
		return ErrNilImage
	}
	if err := s.Fit.Validate(); err != nil {
		return err
	}
	sb := src.Bounds()
	if dst == nil || sb.Size() == dst.Rect.Size() || s.Fit == FitReject {
		return ToI420(dst, src)
	}
	if dst.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return fmt.Errorf("%w: destination must be a 4:2:0 YCbCr image", ErrConfig)
	}
	db := dst.Rect
	fw, fh := db.Dx(), db.Dy()
	if fw%2 != 0 || fh%2 != 0 || fw == 0 || fh == 0 {
		return fmt.Errorf("%w: destination %dx%d: width and height must be even for 4:2:0", ErrImageSize, fw, fh)
	}
	if dst.YStride != fw || dst.CStride != fw/2 {
		return fmt.Errorf("%w: destination planes must be tight (stride = width)", ErrConfig)
	}
	if sb.Empty() {
		return fmt.Errorf("%w: got an empty %dx%d picture, configured %dx%d", ErrImageSize, sb.Dx(), sb.Dy(), fw, fh)
	}
	s.prepare(sb.Size(), db.Size())

	y, cb, cr, ys, cs := s.sourcePlanes(src)
	yo, co := dst.YOffset(db.Min.X, db.Min.Y), dst.COffset(db.Min.X, db.Min.Y)
	dy := dst.Y[yo : yo+fw*fh]
	dcb, dcr := dst.Cb[co:co+fw*fh/4], dst.Cr[co:co+fw*fh/4]
	p := s.place
	c := image.Rect(p.Min.X/2, p.Min.Y/2, p.Max.X/2, p.Max.Y/2)
	fillOutside(dy, fw, fh, p, 16)
	fillOutside(dcb, fw/2, fh/2, c, 128)
	fillOutside(dcr, fw/2, fh/2, c, 128)
	sw := sb.Dx()
	scalePlane(dy[p.Min.Y*fw+p.Min.X:], fw, p.Dx(), p.Dy(), y, ys, &s.luma[1], &s.luma[0], s.row[:sw])
	csw := (sw + 1) / 2
	scalePlane(dcb[c.Min.Y*fw/2+c.Min.X:], fw/2, c.Dx(), c.Dy(), cb, cs, &s.chroma[1], &s.chroma[0], s.row[:csw])
	scalePlane(dcr[c.Min.Y*fw/2+c.Min.X:], fw/2, c.Dx(), c.Dy(), cr, cs, &s.chroma[1], &s.chroma[0], s.row[:csw])
	return nil
}

// prepare makes the filters for a picture of size src in a frame of size
// frame, unless they are made already.
func (s *Scaler) prepare(src, frame image.Point) {
	place := s.Fit.Place(src, frame)
	if src == s.src && frame == s.frame && place == s.place {
		return
	}
	s.src, s.frame, s.place = src, frame, place
	// Chroma sample i covers luma samples 2i and 2i+1: an odd size ends
	// half-way through its last chroma sample.
	s.luma[0].make(src.X, float64(src.X), place.Dx())
	s.luma[1].make(src.Y, float64(src.Y), place.Dy())
	s.chroma[0].make((src.X+1)/2, float64(src.X)/2, place.Dx()/2)
	s.chroma[1].make((src.Y+1)/2, float64(src.Y)/2, place.Dy()/2)
	s.row = resize(s.row, src.X)
}

// sourcePlanes returns the 4:2:0 planes of src and their strides: its own
// for a 4:2:0 YCbCr picture, s.planes filled from any other.
func (s *Scaler) sourcePlanes(src image.Image) (y, cb, cr []byte, ys, cs int) {
	sb := src.Bounds()
	w, h := sb.Dx(), sb.Dy()
	if m, ok := src.(*image.YCbCr); ok && m.SubsampleRatio == image.YCbCrSubsampleRatio420 {
		co := m.COffset(sb.Min.X, sb.Min.Y)
		return m.Y[m.YOffset(sb.Min.X, sb.Min.Y):], m.Cb[co:], m.Cr[co:], m.YStride, m.CStride
	}
	// Odd sizes are converted as if the last column and row were
	// repeated; the filters never read the repeated luma, and the last
	// chroma samples are the means of the real pixels.
	pw, ph := w+w%2, h+h%2
	s.planes = resize(s.planes, pw*ph*3/2)
	y, cb, cr = s.planes[:pw*ph], s.planes[pw*ph:pw*ph*5/4], s.planes[pw*ph*5/4:]
	switch m := src.(type) {
	case *image.RGBA:
		pix, stride := s.even(m.Pix[m.PixOffset(sb.Min.X, sb.Min.Y):], m.Stride, w, h)
		rgbaToI420(y, cb, cr, pix, stride, pw, ph, false)
	case *image.NRGBA:
		pix, stride := s.even(m.Pix[m.PixOffset(sb.Min.X, sb.Min.Y):], m.Stride, w, h)
		rgbaToI420(y, cb, cr, pix, stride, pw, ph, true)
	default:
		if pw != w || ph != h {
			src = edgeExtended{src, image.Rectangle{Min: sb.Min, Max: sb.Min.Add(image.Pt(pw, ph))}}
		}
		anyToI420(y, cb, cr, src, pw, ph)
	}
	return y, cb, cr, pw, pw / 2
}

// even returns 4-byte pixels of an even size: pix itself when w and h
// are even, otherwise a copy in s.rgba with the last column and row
// repeated.
func (s *Scaler) even(pix []byte, stride, w, h int) ([]byte, int) {
	if w%2 == 0 && h%2 == 0 {
		return pix, stride
	}
	pw, ph := w+w%2, h+h%2
	s.rgba = resize(s.rgba, 4*pw*ph)
	for r := 0; r < h; r++ {
		d := s.rgba[r*4*pw : (r+1)*4*pw]
		copy(d, pix[r*stride:r*stride+4*w])
		copy(d[4*w:], d[4*(w-1):4*w]) // nothing to copy when w is even
	}
	if ph != h {
		copy(s.rgba[h*4*pw:], s.rgba[(h-1)*4*pw:h*4*pw])
	}
	return s.rgba, 4 * pw
}

// edgeExtended is an image seen through a larger rectangle: points past
// the image's own bounds take the colour of its nearest edge pixel.
type edgeExtended struct {
	image.Image
	r image.Rectangle
}

func (e edgeExtended) Bounds() image.Rectangle { return e.r }

func (e edgeExtended) At(x, y int) color.Color {
	b := e.Image.Bounds()
	return e.Image.At(min(x, b.Max.X-1), min(y, b.Max.Y-1))
}

// fillOutside sets every sample of a w x h plane outside r to v.
func fillOutside(p []byte, w, h int, r image.Rectangle, v byte) {
	fillRect(p, w, image.Rect(0, 0, w, r.Min.Y), v)
	fillRect(p, w, image.Rect(0, r.Min.Y, r.Min.X, r.Max.Y), v)
	fillRect(p, w, image.Rect(r.Max.X, r.Min.Y, w, r.Max.Y), v)
	fillRect(p, w, image.Rect(0, r.Max.Y, w, h), v)
}

// fillRect sets the samples of r in a plane of the given stride to v:
// its first row one by one, then the others copied from it.
func fillRect(p []byte, stride int, r image.Rectangle, v byte) {
	if r.Empty() {
		return
	}
	first := p[r.Min.Y*stride+r.Min.X : r.Min.Y*stride+r.Max.X]
	for i := range first {
		first[i] = v
	}
	for y := r.Min.Y + 1; y < r.Max.Y; y++ {
		copy(p[y*stride+r.Min.X:y*stride+r.Max.X], first)
	}
}
