package platform_test

import (
	"errors"
	"fmt"
	"image"
	"log"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/platform"
	"github.com/golivecast/golivecast/rtmpsrc"
)

// A preset is where a stream's settings start: the platform's
// recommended numbers for a size and frame rate, which the program then
// changes as it needs.
func ExamplePlatform_Preset() {
	video, audio, err := platform.Twitch().Preset(1920, 1080, encode.Rational{Num: 60, Den: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("video: %dx%d, %v kbit/s, keyframe every %v, profile %s\n",
		video.Width, video.Height, video.Bitrate/encode.Kbps, video.KeyframeInterval, video.Profile)
	fmt.Printf("audio: %d Hz, %d channels, %v kbit/s\n", audio.SampleRate, audio.Channels, audio.Bitrate/encode.Kbps)

	video.Preset = "faster" // x264's speed: any override
	cfg := rtmpsrc.Config{
		URL:          "rtmp://live.twitch.tv/app/STREAM-KEY",
		Video:        capture.Images(func(int) image.Image { return nil }),
		VideoEncoder: video,
		// The source delivers the preset's format.
		Audio:        capture.Silence(capture.AudioFormat{SampleRate: audio.SampleRate, Channels: audio.Channels}),
		AudioEncoder: audio,
	}
	fmt.Println("preflight:", platform.Preflight(cfg, platform.Twitch()))
	// Output:
	// video: 1920x1080, 6000 kbit/s, keyframe every 2s, profile main
	// audio: 48000 Hz, 2 channels, 128 kbit/s
	// preflight: <nil>
}

// Preflight says, before going live, which settings a platform's
// published rules reject. One encode feeds every destination, so a
// stream sent to two platforms is checked against both.
func ExamplePreflight() {
	video, audio, err := platform.Twitch().Preset(1920, 1080, encode.Rational{Num: 60, Den: 1})
	if err != nil {
		log.Fatal(err)
	}
	video.Bitrate = 8000 * encode.Kbps
	cfg := rtmpsrc.Config{
		Destinations: []rtmpsrc.Destination{
			{URL: "rtmp://live.twitch.tv/app/STREAM-KEY"},
			{URL: "rtmp://live-api-s.facebook.com/rtmp/STREAM-KEY"},
		},
		Video:        capture.Images(func(int) image.Image { return nil }),
		VideoEncoder: video,
		Audio:        capture.Silence(capture.AudioFormat{SampleRate: audio.SampleRate, Channels: audio.Channels}),
		AudioEncoder: audio,
	}
	err = platform.Preflight(cfg, platform.Twitch(), platform.FacebookLive())
	var pe *platform.PreflightError
	if errors.As(err, &pe) {
		for _, v := range pe.Violations {
			fmt.Println(v)
		}
	}
	// Output:
	// VideoEncoder.Bitrate 8 Mbit/s: above Twitch's 6 Mbit/s maximum for 1080p60 (Twitch Broadcasting Guidelines)
	// Destinations[1].URL rtmp://live-api-s.facebook.com/rtmp/****: Facebook Live requires rtmps:// on port 443 (Facebook Live Video API reference)
}
