package main

import (
	"image"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/internal/testkit"
)

// With -resize the demo changes its drawing size every interval; the
// recording keeps its size, and each frame shows the picture of its turn
// at the place FitLetterbox gives it, between black bars.
func TestResize(t *testing.T) {
	testkit.RequireFFmpeg(t)
	const w, h, every = 320, 180, 9 // 300 ms at 30 fps
	out := filepath.Join(t.TempDir(), "r.flv")
	r := testkit.RunProgram(t, 60*time.Second, "-duration", "2s", "-size", "320x180", "-resize", "300ms", "-out", out)
	r.RequireOK(t)
	checkRecording(t, out, w, h, 60)

	sizes := resizeSizes(w, h)
	frames := testkit.VideoLuma(t, out, w, h)
	if len(frames) != 60 {
		t.Fatalf("%d frames decoded, want 60", len(frames))
	}
	seen := map[image.Rectangle]bool{}
	for i, f := range frames {
		size := sizes[i/every%len(sizes)]
		place := encode.FitLetterbox.Place(size, image.Pt(w, h))
		seen[place] = true
		// Column means over the picture's rows, row means over its
		// columns: black (0 in full-range grey) in the bars, the scene's
		// background (24) or brighter inside.
		for x := 0; x < w; x++ {
			checkBar(t, i, size, place, "column", x, meanLuma(f.Pix, w, x, x+1, place.Min.Y, place.Max.Y), x >= place.Min.X && x < place.Max.X)
		}
		for y := 0; y < h; y++ {
			checkBar(t, i, size, place, "row", y, meanLuma(f.Pix, w, place.Min.X, place.Max.X, y, y+1), y >= place.Min.Y && y < place.Max.Y)
		}
	}
	// The run went through pillarbox, letterbox and full frames.
	if len(seen) < 5 {
		t.Errorf("pictures at %d places, want at least 5: %v", len(seen), seen)
	}
}

func meanLuma(pix []byte, stride, x0, x1, y0, y1 int) float64 {
	var sum int
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			sum += int(pix[y*stride+x])
		}
	}
	return float64(sum) / float64((x1-x0)*(y1-y0))
}

func checkBar(t *testing.T, frame int, size image.Point, place image.Rectangle, axis string, i int, mean float64, inside bool) {
	t.Helper()
	if inside && mean < 18 || !inside && mean > 4 {
		where := "a bar"
		if inside {
			where = "the picture"
		}
		t.Fatalf("frame %d (drawn %v, placed at %v): %s %d has mean luma %.1f, but is in %s", frame, size, place, axis, i, mean, where)
	}
}

func TestFitFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-fit", "crop"}, `-fit "crop": want letterbox, stretch or reject`},
		{[]string{"-resize", "-1s"}, "-resize -1s is negative"},
	} {
		if _, err := parseFlags(c.args, io.Discard); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error with %q", c.args, err, c.want)
		}
	}
	o, err := parseFlags([]string{"-fit", "stretch", "-resize", "2s"}, io.Discard)
	if err != nil || o.fit != encode.FitStretch || o.resize != 2*time.Second {
		t.Errorf("-fit stretch -resize 2s: %+v, %v", o, err)
	}
}
