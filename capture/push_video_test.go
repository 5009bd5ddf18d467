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
	"testing/synctest"
	"time"

	"github.com/golivecast/golivecast/internal/testkit"
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
		wantStats  VideoPushStats
		wantLevels []int // levels read before the push runs dry
	}{
		{"one frame", 1, VideoPushStats{Written: 1, Read: 1}, []int{0}},
		{"three frames, newest kept", 3, VideoPushStats{Written: 3, Read: 1, Superseded: 2}, []int{2}},
		{"ten frames", 10, VideoPushStats{Written: 10, Read: 1, Superseded: 9}, []int{9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			p := NewVideoPush()
			for i := range tt.writes {
				if err := p.WriteVideo(Frame{Image: uniform(2, 2, uint8(i))}); err != nil {
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
		"WriteVideo":     func() error { return p.WriteVideo(Frame{PTS: time.Second}) },
		"WriteVideoCopy": func() error { return p.WriteVideoCopy(Frame{}) },
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
				if err := p.WriteVideo(Frame{Image: img}); err != nil {
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
				"WriteVideo":     func() error { return p.WriteVideo(Frame{Image: img}) },
				"WriteVideoCopy": func() error { return p.WriteVideoCopy(Frame{Image: img}) },
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

// TestVideoPushReadBlocks checks what wakes a reader that waits for a
// frame; synctest.Wait makes sure it is waiting first.
func TestVideoPushReadBlocks(t *testing.T) {
	t.Run("write wakes reader", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := NewVideoPush()
			defer p.Close()
			got := make(chan error, 1)
			go func() {
				f, err := p.ReadFrame(t.Context())
				if err == nil && level(f.Image) != 42 {
					err = errors.New("wrong frame")
				}
				got <- err
			}()
			synctest.Wait()
			select {
			case err := <-got:
				t.Fatalf("ReadFrame returned %v with nothing written", err)
			default:
			}
			if err := p.WriteVideo(Frame{Image: uniform(1, 1, 42)}); err != nil {
				t.Fatal(err)
			}
			if err := <-got; err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("close wakes reader", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := NewVideoPush()
			got := make(chan error, 1)
			go func() {
				_, err := p.ReadFrame(t.Context())
				got <- err
			}()
			synctest.Wait()
			p.Close()
			if err := <-got; err != io.EOF {
				t.Fatalf("blocked ReadFrame after Close = %v, want io.EOF", err)
			}
		})
	})
	t.Run("context ends wait only", func(t *testing.T) {
		p := NewVideoPush()
		defer p.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		if _, err := p.ReadFrame(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("ReadFrame = %v, want DeadlineExceeded", err)
		}
		if err := p.WriteVideo(Frame{Image: uniform(1, 1, 1)}); err != nil {
			t.Fatalf("push unusable after a cancelled read: %v", err)
		}
		if _, err := p.ReadFrame(testContext(t)); err != nil {
			t.Fatal(err)
		}
	})
}

// TestVideoPushDue: a read for a frame due later waits until then and
// returns the newest frame at that moment; without a due time it returns
// what is pending at once.
func TestVideoPushDue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewVideoPush()
		defer p.Close()
		if err := p.WriteVideo(Frame{Image: uniform(1, 1, 1)}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		due := start.Add(100 * time.Millisecond)
		ctx := WithDue(t.Context(), func() time.Time { return due })
		type result struct {
			level int
			at    time.Duration
			err   error
		}
		got := make(chan result, 1)
		go func() {
			f, err := p.ReadFrame(ctx)
			got <- result{level(f.Image), time.Since(start), err}
		}()
		time.Sleep(50 * time.Millisecond)
		if err := p.WriteVideo(Frame{Image: uniform(1, 1, 2)}); err != nil {
			t.Fatal(err)
		}
		r := <-got
		if r.err != nil || r.level != 2 || r.at != 100*time.Millisecond {
			t.Fatalf("ReadFrame due at 100ms = level %d at %v (%v), want level 2 at 100ms", r.level, r.at, r.err)
		}
		if s := p.Stats(); s.Superseded != 1 || s.Read != 1 {
			t.Errorf("Stats() = %+v, want 1 superseded, 1 read", s)
		}

		// Due already: no wait.
		if err := p.WriteVideo(Frame{Image: uniform(1, 1, 3)}); err != nil {
			t.Fatal(err)
		}
		before := time.Now()
		if f, err := p.ReadFrame(ctx); err != nil || level(f.Image) != 3 || time.Since(before) != 0 {
			t.Fatalf("ReadFrame past due = level %d after %v (%v), want level 3 at once", level(f.Image), time.Since(before), err)
		}

		// Close while waiting for the due time: the pending frame goes now.
		due = time.Now().Add(time.Hour)
		if err := p.WriteVideo(Frame{Image: uniform(1, 1, 4)}); err != nil {
			t.Fatal(err)
		}
		go func() {
			f, err := p.ReadFrame(ctx)
			got <- result{level(f.Image), 0, err}
		}()
		synctest.Wait()
		p.Close()
		if r := <-got; r.err != nil || r.level != 4 {
			t.Fatalf("ReadFrame across Close = level %d (%v), want the pending frame", r.level, r.err)
		}
	})
}

func TestVideoPushTimestamps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		p := NewVideoPush()
		defer p.Close()

		// Unstamped frames are stamped from the first frame written on.
		for i := range 3 {
			if err := p.WriteVideo(Frame{Image: uniform(1, 1, 0)}); err != nil {
				t.Fatal(err)
			}
			f, _ := p.ReadFrame(ctx)
			if want := time.Duration(i) * 2 * time.Millisecond; f.PTS != want {
				t.Errorf("unstamped frame %d: PTS %v, want %v", i, f.PTS, want)
			}
			time.Sleep(2 * time.Millisecond)
		}
		// A frame's own time is kept, copied or not.
		if err := p.WriteVideo(Frame{Image: uniform(1, 1, 0), PTS: 1234 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		if f, _ := p.ReadFrame(ctx); f.PTS != 1234*time.Millisecond {
			t.Errorf("WriteVideo PTS = %v, want 1.234s", f.PTS)
		}
		if err := p.WriteVideoCopy(Frame{Image: uniform(1, 1, 0), PTS: 5 * time.Second}); err != nil {
			t.Fatal(err)
		}
		if f, _ := p.ReadFrame(ctx); f.PTS != 5*time.Second {
			t.Errorf("WriteVideoCopy PTS = %v, want 5s", f.PTS)
		}
	})
}

func TestVideoPushCopy(t *testing.T) {
	ctx := testContext(t)
	p := NewVideoPush()
	defer p.Close()

	src := uniform(4, 3, 10)
	if err := p.WriteVideoCopy(Frame{Image: src}); err != nil {
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
// running flat out: each frame is checked again after the writer has
// copied several more.
func TestVideoPushCopyReuse(t *testing.T) {
	ctx := testContext(t)
	p := NewVideoPush()
	var wg sync.WaitGroup
	wg.Go(func() {
		img := uniform(16, 16, 0)
		for i := 0; ; i++ {
			fill(img, uint8(i))
			if err := p.WriteVideoCopy(Frame{Image: img}); err != nil {
				return // closed
			}
		}
	})
	for range 200 {
		f, err := p.ReadFrame(ctx)
		if err != nil {
			t.Fatal(err)
		}
		a := level(f.Image)
		written := p.Stats().Written
		testkit.Eventually(t, testTimeout, "the writer to copy more frames", func() bool { return p.Stats().Written >= written+maxFreeImageBuffers })
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
			if err := p.WriteVideoCopy(Frame{Image: img}); err != nil {
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
					err = p.WriteVideo(Frame{Image: uniform(8, 8, uint8(w))})
				case 1:
					err = p.WriteVideo(Frame{Image: uniform(8, 8, uint8(w)), PTS: time.Duration(i)})
				case 2:
					err = p.WriteVideoCopy(Frame{Image: img})
				case 3:
					err = p.WriteVideoCopy(Frame{Image: img, PTS: time.Duration(i)})
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
	var read int64
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
