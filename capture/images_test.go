package capture

import (
	"context"
	"errors"
	"image"
	"io"
	"strings"
	"testing"
)

func TestImages(t *testing.T) {
	ctx := testContext(t)
	var calls []int
	src := Images(func(i int) image.Image {
		calls = append(calls, i)
		if i == 3 {
			return nil
		}
		return uniform(1, 1, uint8(10+i))
	})
	for i := range 3 {
		f, err := src.ReadFrame(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if l := level(f.Image); l != 10+i {
			t.Errorf("frame %d has level %d, want %d", i, l, 10+i)
		}
	}
	for range 2 {
		if _, err := src.ReadFrame(ctx); err != io.EOF {
			t.Fatalf("ReadFrame after nil image = %v, want io.EOF", err)
		}
	}
	if !equalInts(calls, []int{0, 1, 2, 3}) {
		t.Errorf("fn called with %v, want 0 1 2 3 and not after nil", calls)
	}
}

func TestImagesContext(t *testing.T) {
	called := false
	src := Images(func(int) image.Image { called = true; return uniform(1, 1, 0) })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.ReadFrame(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadFrame = %v, want Canceled", err)
	}
	if called {
		t.Error("fn called despite the cancelled context")
	}
}

// TestImagesUnchanged: fn returning Unchanged gives a frame marked
// Unchanged, with no image; frame 0 cannot be one.
func TestImagesUnchanged(t *testing.T) {
	ctx := testContext(t)
	src := Images(func(i int) image.Image {
		switch {
		case i == 4:
			return nil
		case i%2 == 1:
			return Unchanged
		}
		return uniform(1, 1, uint8(10+i))
	})
	for i := range 4 {
		f, err := src.ReadFrame(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if f.Unchanged != (i%2 == 1) || (f.Image == nil) != f.Unchanged {
			t.Errorf("frame %d: unchanged %v, image %v", i, f.Unchanged, f.Image)
		}
	}
	if _, err := src.ReadFrame(ctx); err != io.EOF {
		t.Fatalf("after nil: %v", err)
	}

	first := Images(func(int) image.Image { return Unchanged })
	if _, err := first.ReadFrame(ctx); !errors.Is(err, ErrNilImage) || !strings.Contains(err.Error(), "frame 0") {
		t.Fatalf("frame 0 Unchanged: %v", err)
	}
	if _, err := first.ReadFrame(ctx); err != io.EOF {
		t.Fatalf("after the error: %v", err)
	}
}
