package encode_test

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"github.com/golivecast/golivecast/encode"
)

// A 4:3 picture in a 16:9 stream: scaled to the stream's height and
// centred between black bars.
func ExampleScaler() {
	frame := image.NewYCbCr(image.Rect(0, 0, 1280, 720), image.YCbCrSubsampleRatio420)
	picture := image.NewRGBA(image.Rect(0, 0, 640, 480))
	draw.Draw(picture, picture.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)

	var s encode.Scaler // FitLetterbox
	if err := s.ToI420(frame, picture); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("picture at", s.Fit.Place(picture.Rect.Size(), frame.Rect.Size()))
	fmt.Println("luma at x=159:", frame.Y[360*frame.YStride+159], "x=160:", frame.Y[360*frame.YStride+160])

	s.Fit = encode.FitReject
	fmt.Println(s.ToI420(frame, picture))
	// Output:
	// picture at (160,0)-(1120,720)
	// luma at x=159: 16 x=160: 235
	// encode: image size differs from the configured size: got 640x480, configured 1280x720
}
