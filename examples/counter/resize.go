package main

import (
	"fmt"
	"image"
	"time"

	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/examples/counter/scene"
)

// With -resize the demo draws its picture at a size that changes every
// interval, as a game window the player resizes or a bot's screenshots
// would: the publisher fits each picture into the stream's frame (-fit)
// and the stream goes on at its own size.

// resizeSizes are the sizes the picture takes in turn in a w x h stream:
// its own, 4:3 (bars at the sides), 2.39:1 (bars above and below), an
// upright phone, an odd size, and one and a half times larger. None is
// smaller than the scene can draw.
func resizeSizes(w, h int) []image.Point {
	sizes := []image.Point{
		{w, h},
		{h * 4 / 3, h},
		{w, w * 100 / 239},
		{h * 9 / 16, h},
		{w*2/3 | 1, h*2/3 | 1},
		{w * 3 / 2, h * 3 / 2},
	}
	for i, s := range sizes {
		sizes[i] = image.Pt(max(s.X, 64), max(s.Y, 64))
	}
	return sizes
}

// resizingScene draws each picture with the scene of its size.
type resizingScene struct {
	scenes []*scene.Scene
	every  int // frames per size
}

func newResizingScene(w, h, fps int, flash bool, every time.Duration) (*resizingScene, error) {
	r := &resizingScene{every: max(int(every.Seconds()*float64(fps)+0.5), 1)}
	for _, s := range resizeSizes(w, h) {
		sc, err := scene.New(s.X, s.Y, fps, flash)
		if err != nil {
			return nil, err
		}
		r.scenes = append(r.scenes, sc)
	}
	return r, nil
}

func (r *resizingScene) Draw(i int) image.Image {
	return r.scenes[i/r.every%len(r.scenes)].Draw(i)
}

// parseFit reads the -fit flag.
func parseFit(s string) (encode.Fit, error) {
	switch s {
	case "letterbox":
		return encode.FitLetterbox, nil
	case "stretch":
		return encode.FitStretch, nil
	case "reject":
		return encode.FitReject, nil
	}
	return 0, fmt.Errorf("-fit %q: want letterbox, stretch or reject", s)
}
