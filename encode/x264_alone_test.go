package encode

import (
	"image"
	"testing"
	"unsafe"

	"github.com/gen2brain/x264-go/x264c"
)

// benchX264Alone drives x264 with the parameters NewH264 uses and the
// picture already in C memory, to measure what the wrapper adds.
func benchX264Alone(b *testing.B, x *x264Lib, w, h int, img *image.YCbCr) {
	e, err := newH264(H264Options{Width: w, Height: h}, x)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	ySize, cSize := w*h, w*h/4
	planes := e.mem.planes // C memory the encoder owns
	all := unsafe.Slice((*byte)(planes), ySize+2*cSize)
	copy(all, img.Y)
	copy(all[ySize:], img.Cb)
	copy(all[ySize+cSize:], img.Cr)
	pic := e.mem.picIn
	pic.Img.ICsp, pic.Img.IPlane = x264c.CspI420, 3
	pic.Img.Plane[0], pic.Img.Plane[1], pic.Img.Plane[2] = planes, unsafe.Add(planes, ySize), unsafe.Add(planes, ySize+cSize)
	pic.Img.IStride[0], pic.Img.IStride[1], pic.Img.IStride[2] = int32(w), int32(w/2), int32(w/2)
	for i := 0; i < 5; i++ {
		pic.IPts = int64(i)
		e.x264.encoderEncode(e.enc, e.mem.nals, e.mem.nnal, pic, e.mem.picOut)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pic.IPts = int64(i + 5)
		if e.x264.encoderEncode(e.enc, e.mem.nals, e.mem.nnal, pic, e.mem.picOut) < 0 {
			b.Fatal("encode failed")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}
