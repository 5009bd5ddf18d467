package encode

import (
	"errors"
	"image"
	"testing"
	"time"
)

// encoderUnderTest is what the conformance suite needs of an encoder.
type encoderUnderTest struct {
	open func() (encodeOne func(i int) ([]Packet, error), flush func() ([]Packet, error), close func() error, err error)
}

// TestConformance runs the same contract against every encoder, H.264
// on each x264 library: Close twice, use after Close, Flush with nothing
// in, first packet a keyframe.
func TestConformance(t *testing.T) {
	t.Run("h264", func(t *testing.T) {
		forEachX264(t, func(t *testing.T, x *x264Lib) { conformance(t, h264UnderTest(x)) })
	})
	t.Run("aac", func(t *testing.T) {
		conformance(t, encoderUnderTest{open: func() (func(int) ([]Packet, error), func() ([]Packet, error), func() error, error) {
			a, err := NewAAC(AACOptions{})
			if err != nil {
				return nil, nil, nil, err
			}
			return func(i int) ([]Packet, error) { return a.Encode(make([]byte, 4*(1000+i))) }, a.Flush, a.Close, nil
		}})
	})
}

func h264UnderTest(x *x264Lib) encoderUnderTest {
	return encoderUnderTest{open: func() (func(int) ([]Packet, error), func() ([]Packet, error), func() error, error) {
		e, err := newH264(H264Options{Width: 96, Height: 64}, x)
		if err != nil {
			return nil, nil, nil, err
		}
		// A YCbCr whose strides exceed the width, and an odd-offset
		// RGBA sub-image.
		ycc := image.NewYCbCr(image.Rect(0, 0, 100, 70), image.YCbCrSubsampleRatio420).SubImage(image.Rect(2, 2, 98, 66))
		rgba := image.NewRGBA(image.Rect(0, 0, 99, 65)).SubImage(image.Rect(3, 1, 99, 65))
		return func(i int) ([]Packet, error) {
				img := ycc
				if i%2 == 1 {
					img = rgba
				}
				return e.Encode(img, time.Duration(i)*time.Second/30)
			},
			e.Flush, e.Close, nil
	}}
}

func conformance(t *testing.T, s encoderUnderTest) {
	t.Helper()
	// Flush with nothing in.
	_, flush, closeFn, err := s.open()
	if err != nil {
		t.Fatal(err)
	}
	if pk, err := flush(); err != nil || len(pk) != 0 {
		t.Fatalf("Flush on a fresh encoder: %d packets, %v", len(pk), err)
	}
	if err := closeFn(); err != nil {
		t.Fatal(err)
	}

	enc, flush, closeFn, err := s.open()
	if err != nil {
		t.Fatal(err)
	}
	var first *Packet
	for i := 0; i < 6; i++ {
		pk, err := enc(i)
		if err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
		if first == nil && len(pk) > 0 {
			first = &pk[0]
			if !first.Keyframe {
				t.Fatal("first packet is not a keyframe")
			}
			if first.PTS != 0 || first.DTS != 0 {
				t.Fatalf("first packet at PTS %v DTS %v, want 0", first.PTS, first.DTS)
			}
		}
	}
	if first == nil {
		t.Fatal("no packet from six inputs")
	}
	if err := closeFn(); err != nil {
		t.Fatal(err)
	}
	if err := closeFn(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := enc(6); !errors.Is(err, ErrClosed) {
		t.Fatalf("encode after Close: %v", err)
	}
	if _, err := flush(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Flush after Close: %v", err)
	}
}
