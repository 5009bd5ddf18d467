package capture

import (
	"context"
	"errors"
	"image"
	"io"
	"testing"
	"time"

	"github.com/golivecast/golivecast/internal/testkit"
)

// reusingSource draws frame i into the same image each time, as a
// renderer with one back buffer does: a frame is valid only until the
// next ReadFrame.
func reusingSource(n int) VideoSource {
	img := uniform(8, 8, 0)
	i := 0
	return VideoSourceFunc(func(ctx context.Context) (Frame, error) {
		if i == n {
			return Frame{}, io.EOF
		}
		fill(img, uint8(i))
		i++
		return Frame{Image: img, PTS: time.Duration(i) * time.Millisecond}, nil
	})
}

func TestLatestKeepsNewest(t *testing.T) {
	ctx := testContext(t)
	l := Latest(reusingSource(100))
	defer l.Close()
	testkit.Eventually(t, testTimeout, "the source to be read", func() bool { return l.Stats().Written == 100 })

	f, err := l.ReadFrame(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if lv := level(f.Image); lv != 99 {
		t.Errorf("frame level %d, want 99 (the newest)", lv)
	}
	if f.PTS != 100*time.Millisecond {
		t.Errorf("PTS %v, want the source's 100ms", f.PTS)
	}
	if _, err := l.ReadFrame(ctx); err != io.EOF {
		t.Errorf("ReadFrame after source end = %v, want io.EOF", err)
	}
	if s := l.Stats(); s.Superseded != 99 || s.Read != 1 {
		t.Errorf("Stats() = %+v, want 99 superseded, 1 read", s)
	}
}

// TestLatestCopies reads while the source keeps redrawing its single
// image: the frame held by the reader must not change while the source
// draws several more.
func TestLatestCopies(t *testing.T) {
	ctx := testContext(t)
	l := Latest(reusingSource(1 << 30))
	defer l.Close()
	for range 100 {
		f, err := l.ReadFrame(ctx)
		if err != nil {
			t.Fatal(err)
		}
		a := level(f.Image)
		written := l.Stats().Written
		testkit.Eventually(t, testTimeout, "the source to draw more frames", func() bool { return l.Stats().Written >= written+maxFreeImageBuffers })
		if b := level(f.Image); a < 0 || a != b {
			t.Fatalf("frame changed while held: level %d then %d", a, b)
		}
	}
}

func TestLatestEnds(t *testing.T) {
	boom := errors.New("camera unplugged")
	img := uniform(1, 1, 5)
	tests := []struct {
		name    string
		frames  []Frame
		end     error
		wantErr error
	}{
		{"EOF after a frame", []Frame{{Image: img}}, io.EOF, io.EOF},
		{"EOF at once", nil, io.EOF, io.EOF},
		{"error after a frame", []Frame{{Image: img}}, boom, boom},
		{"nil image", []Frame{{Image: img}, {}}, nil, ErrNilImage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			i := 0
			l := Latest(VideoSourceFunc(func(ctx context.Context) (Frame, error) {
				if i < len(tt.frames) {
					i++
					return tt.frames[i-1], nil
				}
				return Frame{}, tt.end
			}))
			defer l.Close()
			// The last good frame comes first, then the end.
			if len(tt.frames) > 0 {
				f, err := l.ReadFrame(ctx)
				if err != nil || level(f.Image) != 5 {
					t.Fatalf("ReadFrame = %v, %v; want the frame before the end", f.Image, err)
				}
			}
			_, err := l.ReadFrame(ctx)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ReadFrame = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestLatestClose(t *testing.T) {
	ctx := testContext(t)
	started := make(chan struct{})
	l := Latest(VideoSourceFunc(func(ctx context.Context) (Frame, error) {
		select {
		case started <- struct{}{}:
		default:
		}
		<-ctx.Done() // a source that waits for its producer
		return Frame{}, ctx.Err()
	}))
	<-started

	// A cancelled read leaves the goroutine running.
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := l.ReadFrame(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ReadFrame = %v, want DeadlineExceeded", err)
	}

	got := make(chan error, 1)
	go func() {
		_, err := l.ReadFrame(ctx)
		got <- err
	}()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != io.EOF {
		t.Fatalf("ReadFrame blocked across Close = %v, want io.EOF", err)
	}
	// Cancellation by Close is not the source failing.
	if _, err := l.ReadFrame(ctx); err != io.EOF {
		t.Fatalf("ReadFrame after Close = %v, want io.EOF", err)
	}
	// goleak in TestMain checks the goroutine is gone.
}

func TestLatestWithImages(t *testing.T) {
	ctx := testContext(t)
	l := Latest(Images(func(i int) image.Image {
		if i == 3 {
			return nil
		}
		return uniform(1, 1, uint8(i))
	}))
	defer l.Close()
	testkit.Eventually(t, testTimeout, "three frames", func() bool { return l.Stats().Written == 3 })
	f, err := l.ReadFrame(ctx)
	if err != nil || level(f.Image) != 2 {
		t.Fatalf("ReadFrame = %v, %v; want frame 2", f.Image, err)
	}
	if _, err := l.ReadFrame(ctx); err != io.EOF {
		t.Fatalf("ReadFrame = %v, want io.EOF", err)
	}
}

// TestLatestUnchanged: frames the wrapped source marks Unchanged are not
// new pictures: the newest stays pending, and none is superseded by them.
func TestLatestUnchanged(t *testing.T) {
	ctx := testContext(t)
	img := uniform(8, 8, 7)
	i := 0
	l := Latest(VideoSourceFunc(func(ctx context.Context) (Frame, error) {
		i++
		switch {
		case i > 6:
			return Frame{}, io.EOF
		case i == 1:
			return Frame{Image: img}, nil
		}
		return Frame{Unchanged: true}, nil
	}))
	defer l.Close()
	f, err := l.ReadFrame(ctx)
	if err != nil || f.Unchanged || level(f.Image) != 7 {
		t.Fatalf("first frame: %+v, %v", f, err)
	}
	if _, err := l.ReadFrame(ctx); err != io.EOF {
		t.Fatalf("after the source ended: %v (unchanged frames are not new pictures)", err)
	}
	if s := l.Stats(); s.Written != 1 || s.Superseded != 0 {
		t.Fatalf("Stats() = %+v, want 1 written, none superseded", s)
	}
}
