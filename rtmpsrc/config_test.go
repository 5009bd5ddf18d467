package rtmpsrc

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
)

// TestNewRejects walks every constraint Config documents, encoder options
// included: New refuses each with an error that matches ErrConfig and the
// sentinel of the package that knows the value, and names the field and
// the value.
func TestNewRejects(t *testing.T) {
	video, audio := testSources(64, 64, 1, 30, 44100, 2)
	const url = "rtmp://h/live/k"
	base := func() Config { return Config{URL: url, Video: video, Audio: audio} }
	with := func(f func(*Config)) Config { c := base(); f(&c); return c }
	for _, c := range []struct {
		name  string
		cfg   Config
		also  error  // the other sentinel the error matches
		names string // in the message: field and value
	}{
		{"nowhere to go", Config{Video: video}, nil, "no URL, Destinations or Output"},
		{"no source", Config{URL: url}, nil, "no Video or Audio"},

		{"bad URL", with(func(c *Config) { c.URL = "http://h/live/k" }), ErrURL, `URL: invalid URL: scheme "http"`},
		{"bad destination URL", with(func(c *Config) { c.Destinations = []Destination{{URL: "rtmp://a/live/k"}, {URL: "rtmp://b/live"}} }),
			ErrURL, "Destinations[1].URL: invalid URL"},
		{"bad destination URL, no URL", with(func(c *Config) { c.URL = ""; c.Destinations = []Destination{{URL: "rtmp:///live/k"}} }),
			ErrURL, "Destinations[0].URL: invalid URL"},

		{"odd width", with(func(c *Config) { c.VideoEncoder.Width, c.VideoEncoder.Height = 641, 360 }), encode.ErrConfig, "VideoEncoder.Width 641: must be even"},
		{"odd height", with(func(c *Config) { c.VideoEncoder.Width, c.VideoEncoder.Height = 640, 359 }), encode.ErrConfig, "VideoEncoder.Height 359"},
		{"huge picture", with(func(c *Config) { c.VideoEncoder.Width, c.VideoEncoder.Height = 9000, 360 }), encode.ErrConfig, "VideoEncoder.Width 9000"},
		{"frame rate", with(func(c *Config) { c.VideoEncoder.FrameRate = encode.Rational{Num: 300, Den: 1} }), encode.ErrConfig, "VideoEncoder.FrameRate 300/1"},
		{"CRF", with(func(c *Config) { c.VideoEncoder.CRF = 52 }), encode.ErrConfig, "VideoEncoder.CRF 52"},
		{"bitrate in kbit/s", with(func(c *Config) { c.VideoEncoder.Bitrate = 2500 }), encode.ErrConfig, "VideoEncoder.Bitrate 2500: below 16000 bit/s"},
		{"max bitrate", with(func(c *Config) { c.VideoEncoder.MaxBitrate = -1 }), encode.ErrConfig, "VideoEncoder.MaxBitrate -1"},
		{"buffer", with(func(c *Config) { c.VideoEncoder.Bitrate, c.VideoEncoder.BufferSize = encode.Mbps, -1 }), encode.ErrConfig, "VideoEncoder.BufferSize -1"},
		{"keyframe interval", with(func(c *Config) { c.VideoEncoder.KeyframeInterval = -time.Second }), encode.ErrConfig, "VideoEncoder.KeyframeInterval -1s"},
		{"B-frames with zerolatency", with(func(c *Config) { c.VideoEncoder.BFrames = 2 }), encode.ErrConfig, "VideoEncoder.BFrames 2: Tune zerolatency"},
		{"B-frames timestamped", with(func(c *Config) {
			c.VideoEncoder.BFrames, c.VideoEncoder.Tune, c.VideoEncoder.Timestamped = 2, "film", true
		}), encode.ErrConfig, "VideoEncoder.BFrames 2: B-frames need a constant frame rate"},
		{"threads", with(func(c *Config) { c.VideoEncoder.Threads = -2 }), encode.ErrConfig, "VideoEncoder.Threads -2"},
		{"preset", with(func(c *Config) { c.VideoEncoder.Preset = "warp" }), encode.ErrConfig, `VideoEncoder.Preset "warp"`},
		{"tune", with(func(c *Config) { c.VideoEncoder.Tune = "cartoon" }), encode.ErrConfig, `VideoEncoder.Tune "cartoon"`},
		{"profile", with(func(c *Config) { c.VideoEncoder.Profile = "high10" }), encode.ErrConfig, `VideoEncoder.Profile "high10"`},

		{"audio format", with(func(c *Config) { c.Audio = capture.Silence(capture.AudioFormat{SampleRate: 4000, Channels: 2}) }),
			capture.ErrConfig, "Audio: format 4000 Hz"},
		{"audio channels", with(func(c *Config) { c.Audio = capture.Silence(capture.AudioFormat{SampleRate: 48000, Channels: 6}) }),
			capture.ErrConfig, "Audio: format 48000 Hz, 6 channels"},
		{"AAC rate unlike the source's", with(func(c *Config) { c.AudioEncoder.SampleRate = 48000 }), nil, "AudioEncoder.SampleRate 48000: the audio source gives 44100 Hz"},
		{"AAC channels unlike the source's", with(func(c *Config) { c.AudioEncoder.Channels = 1 }), nil, "AudioEncoder.Channels 1: the audio source gives 2 channels"},
		{"AAC rate of no AAC", with(func(c *Config) { c.Audio = capture.Silence(capture.AudioFormat{SampleRate: 44000, Channels: 2}) }),
			encode.ErrConfig, "AudioEncoder.SampleRate 44000: not an AAC sampling rate"},
		{"AAC bitrate", with(func(c *Config) { c.AudioEncoder.Bitrate = 128 }), encode.ErrConfig, "AudioEncoder.Bitrate 128: out of range"},

		{"dial timeout", with(func(c *Config) { c.DialTimeout = -1 }), nil, "DialTimeout -1ns: negative"},
		{"setup timeout", with(func(c *Config) { c.SetupTimeout = -time.Second }), nil, "SetupTimeout -1s"},
		{"write timeout", with(func(c *Config) { c.WriteTimeout = -time.Second }), nil, "WriteTimeout -1s"},
		{"stall timeout", with(func(c *Config) { c.StallTimeout = -time.Second }), nil, "StallTimeout -1s"},
		{"dynamic bitrate without a bitrate", with(func(c *Config) { c.DynamicBitrate = true }), nil, "DynamicBitrate true: needs VideoEncoder.Bitrate"},
		{"start time", with(func(c *Config) { c.StartTime = -time.Second }), nil, "StartTime -1s"},
		{"max latency", with(func(c *Config) { c.MaxLatency = -time.Millisecond }), nil, "MaxLatency -1ms"},
		{"reconnect delay", with(func(c *Config) { c.Reconnect.InitialDelay = -time.Second }), nil, "Reconnect.InitialDelay -1s"},
		{"reconnect max delay", with(func(c *Config) { c.Reconnect.MaxDelay = -time.Second }), nil, "Reconnect.MaxDelay -1s"},
		{"reconnect attempts", with(func(c *Config) { c.Reconnect.MaxAttempts = -1 }), nil, "Reconnect.MaxAttempts -1"},
		{"send buffer", with(func(c *Config) { c.SendBuffer = -1 }), nil, "SendBuffer -1"},
		{"small chunks", with(func(c *Config) { c.ChunkSize = 127 }), nil, "ChunkSize 127: out of range"},
		{"large chunks", with(func(c *Config) { c.ChunkSize = 1<<20 + 1 }), nil, "ChunkSize 1048577"},
		{"end policy", with(func(c *Config) { c.End = 7 }), nil, "End EndPolicy(7)"},
		{"fit", with(func(c *Config) { c.Fit = 9 }), encode.ErrConfig, "Fit Fit(9): want FitLetterbox"},
	} {
		_, err := New(c.cfg)
		t.Logf("%s: %v", c.name, err)
		switch {
		case err == nil:
			t.Errorf("%s: accepted", c.name)
		case !errors.Is(err, ErrConfig):
			t.Errorf("%s: %v does not match ErrConfig", c.name, err)
		case c.also != nil && !errors.Is(err, c.also):
			t.Errorf("%s: %v does not match %v", c.name, err, c.also)
		case !strings.HasPrefix(err.Error(), "rtmpsrc: invalid config: ") || !strings.Contains(err.Error(), c.names):
			t.Errorf("%s: %q, want it to name %q", c.name, err, c.names)
		}
	}
	// What New accepts opens: the same configurations, corrected, run.
	var out bytes.Buffer
	p, err := New(Config{Output: &out, Video: video, Audio: audio, VideoEncoder: encode.H264Options{Width: 64, Height: 64},
		AudioEncoder: encode.AACOptions{SampleRate: 44100, Channels: 2, Bitrate: 96000}, ChunkSize: 128, MaxLatency: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
}
