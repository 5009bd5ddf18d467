package rtmpsrc_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/rtmpsrc"
)

// With no URL, the stream goes only to Output, as fast as the encoders
// run: here one second of pictures drawn on demand and a tone, recorded as
// FLV in memory.
func ExampleNew_file() {
	const fps = 10
	picture := image.NewGray(image.Rect(0, 0, 64, 48))
	video := capture.Images(func(i int) image.Image {
		if i == fps {
			return nil // one second of video, then the end
		}
		picture.Pix[0] = uint8(i) // the source may reuse its picture
		return picture
	})
	audio := capture.Tone(capture.AudioFormat{SampleRate: 44100, Channels: 2}, 440, 0.2)
	audio.Duration = time.Second

	var flv bytes.Buffer
	pub, err := rtmpsrc.New(rtmpsrc.Config{
		Output: &flv,
		Video:  video,
		Audio:  audio,
		VideoEncoder: encode.H264Options{
			Width: 64, Height: 48,
			FrameRate: encode.Rational{Num: fps, Den: 1},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer pub.Close()
	// Run returns nil once both sources have ended and everything is
	// written.
	if err := pub.Run(context.Background()); err != nil {
		log.Fatal(err)
	}
	st := pub.Stats()
	fmt.Println("video frames taken/muxed:", st.Video.Taken, st.Video.Muxed)
	fmt.Println("keyframes:", st.Video.Keyframes)
	// 44100 samples are 43.07 AAC frames of 1024: 44 with the padded
	// last one, and 2 more push out the encoder's 1600-sample delay.
	fmt.Println("AAC frames muxed:", st.Audio.Muxed)
	fmt.Println("FLV signature:", string(flv.Bytes()[:3]))
	// Output:
	// video frames taken/muxed: 10 10
	// keyframes: 1
	// AAC frames muxed: 46
	// FLV signature: FLV
}

// A live stream to an ingest server, from a program that owns its loop
// and pushes what it draws. Run paces the stream by the wall clock and
// returns on Ctrl+C, after an unpublish.
func ExampleNew_live() {
	video := capture.NewVideoPush()
	defer video.Close()
	audio := capture.Silence(capture.AudioFormat{SampleRate: 48000, Channels: 2})

	pub, err := rtmpsrc.New(rtmpsrc.Config{
		// The key is a secret: errors and logs show it as ****.
		URL:   "rtmp://live.example.com/app/STREAM-KEY",
		Video: video,
		Audio: audio,
		VideoEncoder: encode.H264Options{
			Width: 1280, Height: 720,
			FrameRate: encode.Rational{Num: 30, Den: 1},
			Bitrate:   3000 * encode.Kbps, // constant bitrate, as ingest servers ask
		},
		Reconnect: rtmpsrc.ReconnectPolicy{MaxAttempts: 10},
		Logger:    slog.Default(),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer pub.Close()

	// The program's own loop: the publisher takes the newest picture at
	// each frame tick and repeats the last one when none came.
	go func() {
		screen := image.NewRGBA(image.Rect(0, 0, 1280, 720))
		for i := 0; ; i++ {
			screen.Set(i%1280, 360, color.White)
			if err := video.WriteVideoCopy(capture.Frame{Image: screen}); err != nil {
				return // closed
			}
			time.Sleep(time.Second / 60)
		}
	}()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := pub.Run(ctx); err != nil && ctx.Err() == nil {
		log.Fatal(err) // a refusal is a *rtmpsrc.StatusError
	}
	fmt.Printf("%+v\n", pub.Stats())
}
