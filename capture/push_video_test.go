package capture

import (
	"context"
	"errors"
	"image"
	"image/color"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// testTimeout bounds every wait in these tests; it is far above what any
// operation needs, so it only fires on a hang.
const testTimeout = 10 * time.Second

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// uniform returns a w×h RGBA image filled with gray level v.
func uniform(w, h int, v uint8) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fill(img, v)
	return img
}

func fill(img *image.RGBA, v uint8) {
	for i := range img.Pix {
		img.Pix[i] = v
	}
}

// level returns the gray level of a uniform image, or -1 if it is not
// uniform (a torn frame).
func level(img image.Image) int {
	r := img.Bounds()
	first := color.GrayModel.Convert(img.At(r.Min.X, r.Min.Y)).(color.Gray).Y
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y != first {
				return -1
			}
		}
	}
	return int(first)
}

func TestVideoPushLatestWins(t *testing.T) {
	tests := []struct {
		name       string
		writes     int
		wantStats  VideoStats
		wantLevels []int // levels read before the push runs dry
	}{
		{"one frame", 1, VideoStats{Written: 1, Read: 1}, []int{0}},
		{"three frames, newest kept", 3, VideoStats{Written: 3, Read: 1, Superseded: 2}, []int{2}},
		{"ten frames", 10, VideoStats{Written: 10, Read: 1, Superseded: 9}, []int{9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			p := NewVideoPush()
			for i := range tt.writes {
				if err := p.WriteVideo(uniform(2, 2, uint8(i))); err != nil {
					t.Fatal(err)
				}
			}
			p.Close()
			var got []int
			for {
				f, err := p.ReadFrame(ctx)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, level(f.Image))
			}
			if !equalInts(got, tt.wantLevels) {
				t.Errorf("read levels %v, want %v", got, tt.wantLevels)
			}
			if s := p.Stats(); s != tt.wantStats {
				t.Errorf("Stats() = %+v, want %+v", s, tt.wantStats)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestVideoPushNilImage(t *testing.T) {
	p := NewVideoPush()
	defer p.Close()
	writes := map[string]func() error{
		"WriteVideo":       func() error { return p.WriteVideo(nil) },
		"WriteVideoAt":     func() error { return p.WriteVideoAt(nil, time.Second) },
		"WriteVideoCopy":   func() error { return p.WriteVideoCopy(nil) },
		"WriteVideoCopyAt": func() error { return p.WriteVideoCopyAt(nil, time.Second) },
	}
	for name, write := range writes {
		err := write()
		if !errors.Is(err, ErrNilImage) {
			t.Errorf("%s(nil) = %v, want ErrNilImage", name, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), "capture: ") || !strings.Contains(err.Error(), name) {
			t.Errorf("%s(nil) error %q should start with \"capture: \" and name the method", name, err)
		}
	}
	if s := p.Stats(); s.Written != 0 {
		t.Errorf("nil writes counted: %+v", s)
	}
}

func TestVideoPushClose(t *testing.T) {
	img := uniform(2, 2, 7)
	tests := []struct {
		name    string
		pending bool
	}{
		{"nothing pending", false},
		{"frame pending", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			p := NewVideoPush()
			if tt.pending {
				if err := p.WriteVideo(img); err != nil {
					t.Fatal(err)
				}
			}
			if err := p.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if err := p.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			for name, write := range map[string]func() error{
				"WriteVideo":     func() error { return p.WriteVideo(img) },
				"WriteVideoAt":   func() error { return p.WriteVideoAt(img, 0) },
				"WriteVideoCopy": func() error { return p.WriteVideoCopy(img) },
			} {
				if err := write(); !errors.Is(err, ErrClosed) {
					t.Errorf("%s after Close = %v, want ErrClosed", name, err)
				}
			}
			if tt.pending {
				f, err := p.ReadFrame(ctx)
				if err != nil || f.Image != image.Image(img) {
					t.Fatalf("ReadFrame after Close = %v, %v; want the pending frame", f.Image, err)
				}
			}
			for range 2 {
				if _, err := p.ReadFrame(ctx); err != io.EOF {
					t.Fatalf("ReadFrame when drained = %v, want io.EOF", err)
				}
			}
		})
	}
}

func TestVideoPushReadBlocks(t *testing.T) {
	t.Run("write wakes reader", func(t *testing.T) {
		ctx := testContext(t)
		p := NewVideoPush()
		defer p.Close()
		got := make(chan error, 1)
		go func() {
			f, err := p.ReadFrame(ctx)
			if err == nil && level(f.Image) != 42 {
				err = errors.New("wrong frame")
			}
			got <- err
		}()
		time.Sleep(10 * time.Millisecond) // let the reader block (not required for correctness)
		if err := p.WriteVideo(uniform(1, 1, 42)); err != nil {
			t.Fatal(err)
		}
		if err := <-got; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("close wakes reader", func(t *testing.T) {
		ctx := testContext(t)
		p := NewVideoPush()
		got := make(chan error, 1)
		go func() {
			_, err := p.ReadFrame(ctx)
			got <- err
		}()
		time.Sleep(10 * time.Millisecond)
		p.Close()
		if err := <-got; err != io.EOF {
			t.Fatalf("blocked ReadFrame after Close = %v, want io.EOF", err)
		}
	})
	t.Run("context ends wait only", func(t *testing.T) {
		p := NewVideoPush()
		defer p.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		if _, err := p.ReadFrame(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("ReadFrame = %v, want DeadlineExceeded", err)
		}
		if err := p.WriteVideo(uniform(1, 1, 1)); err != nil {
			t.Fatalf("push unusable after a cancelled read: %v", err)
		}
		if _, err := p.ReadFrame(testContext(t)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestVideoPushTimestamps(t *testing.T) {
	ctx := testContext(t)
	p := NewVideoPush()
	defer p.Close()

	if err := p.WriteVideoAt(uniform(1, 1, 0), 1234*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if f, _ := p.ReadFrame(ctx); f.PTS != 1234*time.Millisecond {
		t.Errorf("WriteVideoAt PTS = %v, want 1.234s", f.PTS)
	}
	if err := p.WriteVideoCopyAt(uniform(1, 1, 0), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if f, _ := p.ReadFrame(ctx); f.PTS != 5*time.Second {
		t.Errorf("WriteVideoCopyAt PTS = %v, want 5s", f.PTS)
	}

	// WriteVideo stamps from its first frame on.
	var last time.Duration
	for i := range 3 {
		if err := p.WriteVideo(uniform(1, 1, 0)); err != nil {
			t.Fatal(err)
		}
		f, _ := p.ReadFrame(ctx)
		if i == 0 && f.PTS != 0 {
			t.Errorf("first WriteVideo PTS = %v, want 0", f.PTS)
		}
		if f.PTS < last {
			t.Errorf("WriteVideo PTS went back from %v to %v", last, f.PTS)
		}
		last = f.PTS
		time.Sleep(2 * time.Millisecond)
	}
	if last <= 0 {
		t.Errorf("WriteVideo PTS did not advance: %v", last)
	}
}

func TestVideoPushCopy(t *testing.T) {
	ctx := testContext(t)
	p := NewVideoPush()
	defer p.Close()

	src := uniform(4, 3, 10)
	if err := p.WriteVideoCopy(src); err != nil {
		t.Fatal(err)
	}
	fill(src, 200) // the caller draws the next frame at once
	f, err := p.ReadFrame(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f.Image == image.Image(src) {
		t.Fatal("WriteVideoCopy kept the caller's image")
	}
	if l := level(f.Image); l != 10 {
		t.Fatalf("copied frame level %d, want 10 (the content at write time)", l)
	}
}

// TestVideoPushCopyReuse checks that the buffers behind copied frames are
// recycled without tearing the frame the reader holds, with a writer
// running flat out.
func TestVideoPushCopyReuse(t *testing.T) {
	ctx := testContext(t)
	p := NewVideoPush()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		img := uniform(16, 16, 0)
		for i := 0; ; i++ {
			fill(img, uint8(i))
			if err := p.WriteVideoCopy(img); err != nil {
				return // closed
			}
		}
	}()
	for range 200 {
		f, err := p.ReadFrame(ctx)
		if err != nil {
			t.Fatal(err)
		}
		a := level(f.Image)
		time.Sleep(50 * time.Microsecond) // the writer keeps going meanwhile
		if b := level(f.Image); a < 0 || a != b {
			t.Fatalf("frame changed while held: level %d then %d", a, b)
		}
	}
	p.Close()
	wg.Wait()
	s := p.Stats()
	if s.Written != s.Read+s.Superseded && s.Written != s.Read+s.Superseded+1 {
		t.Errorf("Stats() = %+v: Written should be Read+Superseded (+1 pending)", s)
	}
}

func TestVideoPushCopyNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector adds allocations")
	}
	ctx := context.Background()
	images := map[string]image.Image{
		"RGBA":     uniform(64, 32, 1),
		"YCbCr420": image.NewYCbCr(image.Rect(0, 0, 64, 32), image.YCbCrSubsampleRatio420),
	}
	for name, img := range images {
		p := NewVideoPush()
		allocs := testing.AllocsPerRun(100, func() {
			if err := p.WriteVideoCopy(img); err != nil {
				t.Fatal(err)
			}
			if _, err := p.ReadFrame(ctx); err != nil {
				t.Fatal(err)
			}
		})
		p.Close()
		if allocs != 0 {
			t.Errorf("%s: %v allocations per copied frame in steady state, want 0", name, allocs)
		}
	}
}

// TestVideoPushConcurrent runs writers of every kind against one reader
// (under -race it checks the locking) and checks that every frame is
// either read or counted as superseded.
func TestVideoPushConcurrent(t *testing.T) {
	ctx := testContext(t)
	p := NewVideoPush()
	const writers, perWriter = 4, 300
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			img := uniform(8, 8, uint8(w))
			for i := range perWriter {
				var err error
				switch (w + i) % 4 {
				case 0:
					err = p.WriteVideo(uniform(8, 8, uint8(w)))
				case 1:
					err = p.WriteVideoAt(uniform(8, 8, uint8(w)), time.Duration(i))
				case 2:
					err = p.WriteVideoCopy(img)
				case 3:
					err = p.WriteVideoCopyAt(img, time.Duration(i))
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		p.Close()
		close(done)
	}()
	var read uint64
	for {
		f, err := p.ReadFrame(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if l := level(f.Image); l < 0 || l >= writers {
			t.Fatalf("torn or foreign frame, level %d", l)
		}
		read++
	}
	<-done
	s := p.Stats()
	if s.Written != writers*perWriter || s.Read != read || s.Read+s.Superseded != s.Written {
		t.Errorf("Stats() = %+v after reading %d of %d frames", s, read, writers*perWriter)
	}
}
