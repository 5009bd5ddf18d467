package capture_test

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"io"
	"log"
	"time"

	"github.com/golivecast/golivecast/capture"
)

// A game owns its loop: it hands each rendered frame over and moves on.
// The publisher reads at its own frame rate and gets the newest frame.
func ExampleVideoPush() {
	video := capture.NewVideoPush()
	screen := image.NewRGBA(image.Rect(0, 0, 320, 180))

	for tick := range 3 {
		draw.Draw(screen, screen.Bounds(), image.NewUniform(color.Gray{Y: uint8(80 * tick)}), image.Point{}, draw.Src)
		// The game redraws screen next tick, so the push takes a copy.
		if err := video.WriteVideoCopy(capture.Frame{Image: screen}); err != nil {
			log.Fatal(err)
		}
	}

	f, _ := video.ReadFrame(context.Background())
	fmt.Println("newest frame gray level:", color.GrayModel.Convert(f.Image.At(0, 0)).(color.Gray).Y)
	fmt.Printf("%+v\n", video.Stats())
	// Output:
	// newest frame gray level: 160
	// {Written:3 Read:1 Superseded:2}
}

// Audio is never dropped: a producer that runs ahead of real time is told
// so, and decides what to do.
func ExampleAudioPush() {
	format := capture.AudioFormat{SampleRate: 48000, Channels: 2}
	audio, err := capture.NewAudioPush(format, 100*time.Millisecond)
	if err != nil {
		log.Fatal(err)
	}
	defer audio.Close()

	tenMs := make([]int16, 480*2) // 10 ms of stereo silence
	for i := range 11 {
		if err := audio.WriteSamples(tenMs); errors.Is(err, capture.ErrAudioOverflow) {
			fmt.Printf("write %d: %v\n", i, err)
		}
	}
	chunk, _ := audio.ReadAudio(context.Background())
	fmt.Println("first chunk:", format.Duration(len(chunk.Data)), "at", chunk.PTS)
	// Output:
	// write 10: capture: audio queue full: writing 10ms onto 100ms already queued would exceed the 100ms limit
	// first chunk: 10ms at 0s
}

func ExampleTone() {
	format := capture.AudioFormat{SampleRate: 44100, Channels: 2}
	tone := capture.Tone(format, 440, 0.25)
	tone.Duration = 50 * time.Millisecond // 2205 sample frames

	ctx := context.Background()
	for {
		chunk, err := tone.ReadAudio(ctx)
		if err == io.EOF {
			break
		}
		fmt.Println(len(chunk.Data)/format.BytesPerFrame(), "frames at", chunk.PTS)
	}
	// Output:
	// 1024 frames at 0s
	// 1024 frames at 23.219955ms
	// 157 frames at 46.43991ms
}

// A source drawn on demand: one call per output frame.
func ExampleImages() {
	frames := capture.Images(func(i int) image.Image {
		if i == 2 {
			return nil // end of the stream
		}
		return image.NewRGBA(image.Rect(0, 0, 64, 64))
	})
	ctx := context.Background()
	for {
		_, err := frames.ReadFrame(ctx)
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println("frame")
	}
	// Output:
	// frame
	// frame
	// EOF
}

// A renderer with its own clock, wrapped so that the publisher always
// takes the newest frame and the renderer never waits.
func ExampleLatest() {
	renderer := capture.VideoSourceFunc(func(ctx context.Context) (capture.Frame, error) {
		select {
		case <-time.After(time.Second / 24):
			return capture.Frame{Image: image.NewRGBA(image.Rect(0, 0, 64, 64))}, nil
		case <-ctx.Done():
			return capture.Frame{}, ctx.Err()
		}
	})
	video := capture.Latest(renderer)
	defer video.Close() // stops the reading goroutine and waits for it

	f, err := video.ReadFrame(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.Image.Bounds())
	// Output: (0,0)-(64,64)
}
