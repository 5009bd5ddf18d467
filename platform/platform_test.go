package platform_test

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"testing"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/platform"
	"github.com/golivecast/golivecast/rtmpsrc"
)

const key = "SECRET-KEY"

var (
	fps30   = encode.Rational{Num: 30, Den: 1}
	fps60   = encode.Rational{Num: 60, Den: 1}
	fpsNTSC = encode.Rational{Num: 30000, Den: 1001}
)

// ingest is a URL on each platform's ingest host, as the platform gives
// it.
var ingest = map[string]string{
	"YouTube":       "rtmps://a.rtmps.youtube.com:443/live2/" + key,
	"Twitch":        "rtmp://ingest.global-contribute.live-video.net/app/" + key,
	"Facebook Live": "rtmps://live-api-s.facebook.com:443/rtmp/" + key,
}

// presetConfig is a Config from a platform's preset, with sources in the
// preset's formats and the platform's ingest URL.
func presetConfig(t *testing.T, p platform.Platform, w, h int, fps encode.Rational) rtmpsrc.Config {
	t.Helper()
	video, audio, err := p.Preset(w, h, fps)
	if err != nil {
		t.Fatalf("%s.Preset(%d, %d, %v): %v", p.Name, w, h, fps, err)
	}
	return rtmpsrc.Config{
		URL:          ingest[p.Name],
		Video:        capture.Images(func(int) image.Image { return nil }),
		VideoEncoder: video,
		Audio:        capture.Silence(capture.AudioFormat{SampleRate: audio.SampleRate, Channels: audio.Channels}),
		AudioEncoder: audio,
	}
}

func TestPlatformPreset(t *testing.T) {
	for _, tc := range []struct {
		platform     platform.Platform
		w, h         int
		fps          encode.Rational
		bitrate      int
		profile      string
		sampleRate   int
		audioBitrate int
	}{
		{platform.YouTube(), 854, 480, fps30, 3 * encode.Mbps, "high", 44100, 128 * encode.Kbps},
		{platform.YouTube(), 1280, 720, fps30, 4500 * encode.Kbps, "high", 44100, 128 * encode.Kbps},
		{platform.YouTube(), 1280, 720, fps60, 6 * encode.Mbps, "high", 44100, 128 * encode.Kbps},
		{platform.YouTube(), 1920, 1080, fps30, 8 * encode.Mbps, "high", 44100, 128 * encode.Kbps},
		{platform.YouTube(), 1080, 1920, fps30, 8 * encode.Mbps, "high", 44100, 128 * encode.Kbps}, // portrait
		{platform.YouTube(), 1920, 1080, fps60, 10 * encode.Mbps, "high", 44100, 128 * encode.Kbps},
		{platform.YouTube(), 3840, 2160, fps60, 35 * encode.Mbps, "high", 44100, 128 * encode.Kbps},
		{platform.Twitch(), 1280, 720, fps30, 3 * encode.Mbps, "main", 48000, 128 * encode.Kbps},
		{platform.Twitch(), 1280, 720, fps60, 4500 * encode.Kbps, "main", 48000, 128 * encode.Kbps},
		{platform.Twitch(), 1920, 1080, fpsNTSC, 4500 * encode.Kbps, "main", 48000, 128 * encode.Kbps},
		{platform.Twitch(), 1920, 1080, fps60, 6 * encode.Mbps, "main", 48000, 128 * encode.Kbps},
		{platform.Twitch(), 960, 540, encode.Rational{Num: 25, Den: 1}, 3 * encode.Mbps, "main", 48000, 128 * encode.Kbps},
		{platform.FacebookLive(), 640, 360, fps30, 1 * encode.Mbps, "high", 48000, 128 * encode.Kbps},
		{platform.FacebookLive(), 1280, 720, fps30, 4 * encode.Mbps, "high", 48000, 128 * encode.Kbps},
		{platform.FacebookLive(), 1280, 720, fps60, 6 * encode.Mbps, "high", 48000, 128 * encode.Kbps},
		{platform.FacebookLive(), 1920, 1080, fps60, 9 * encode.Mbps, "high", 48000, 128 * encode.Kbps},
	} {
		name := fmt.Sprintf("%s/%dx%d@%d:%d", tc.platform.Name, tc.w, tc.h, tc.fps.Num, tc.fps.Den)
		t.Run(name, func(t *testing.T) {
			video, audio, err := tc.platform.Preset(tc.w, tc.h, tc.fps)
			if err != nil {
				t.Fatal(err)
			}
			want := encode.H264Options{Width: tc.w, Height: tc.h, FrameRate: tc.fps, Profile: tc.profile,
				Bitrate: tc.bitrate, KeyframeInterval: 2 * time.Second}
			if video != want {
				t.Errorf("video %+v, want %+v", video, want)
			}
			if full := video.WithDefaults(); full.MaxBitrate != tc.bitrate || full.BufferSize != tc.bitrate {
				t.Errorf("not CBR with a 1 s buffer: max %d, buffer %d", full.MaxBitrate, full.BufferSize)
			}
			if want := (encode.AACOptions{SampleRate: tc.sampleRate, Channels: 2, Bitrate: tc.audioBitrate}); audio != want {
				t.Errorf("audio %+v, want %+v", audio, want)
			}
			// A preset passes its own platform's check.
			if vs := tc.platform.Check(presetConfig(t, tc.platform, tc.w, tc.h, tc.fps)); len(vs) > 0 {
				t.Errorf("the preset breaks %s's rules: %v", tc.platform.Name, vs)
			}
		})
	}
}

func TestPlatformPresetRefused(t *testing.T) {
	for _, tc := range []struct {
		platform platform.Platform
		w, h     int
		fps      encode.Rational
		want     string
	}{
		{platform.Twitch(), 2560, 1440, fps60, "2560x1440: larger than Twitch's 1920x1080"},
		{platform.Twitch(), 1920, 1080, encode.Rational{Num: 24, Den: 1}, "24 fps: not one of Twitch's frame rates (25, 30, 50, 60 fps)"},
		{platform.FacebookLive(), 1920, 1080, encode.Rational{Num: 120, Den: 1}, "120 fps: above Facebook Live's 60 fps maximum"},
		{platform.YouTube(), 7680, 4320, fps30, "larger than YouTube's 3840x2160"},
		{platform.YouTube(), 1920, 1080, encode.Rational{}, "preset for 1920x1080 at 0/0 fps"},
	} {
		t.Run(tc.platform.Name, func(t *testing.T) {
			_, _, err := tc.platform.Preset(tc.w, tc.h, tc.fps)
			if !errors.Is(err, platform.ErrNotTaken) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want ErrConfig with %q", err, tc.want)
			}
		})
	}
}

func TestPlatformCheck(t *testing.T) {
	yt, tw, fb := platform.YouTube(), platform.Twitch(), platform.FacebookLive()
	withAudio := func(rate, channels int) func(*rtmpsrc.Config) {
		return func(c *rtmpsrc.Config) {
			c.Audio = capture.Silence(capture.AudioFormat{SampleRate: rate, Channels: channels})
			c.AudioEncoder.SampleRate, c.AudioEncoder.Channels = 0, 0
		}
	}
	for _, tc := range []struct {
		name     string
		platform platform.Platform
		change   func(*rtmpsrc.Config)
		want     string // the whole violation
	}{
		{"bitrate above the maximum", tw, func(c *rtmpsrc.Config) { c.VideoEncoder.Bitrate = 12 * encode.Mbps },
			"VideoEncoder.Bitrate 12 Mbit/s: above Twitch's 6 Mbit/s maximum for 720p30 (Twitch Broadcasting Guidelines)"},
		{"not constant", yt, func(c *rtmpsrc.Config) { c.VideoEncoder.MaxBitrate = 6 * encode.Mbps },
			"VideoEncoder.MaxBitrate 6 Mbit/s: differs from Bitrate 4.5 Mbit/s: YouTube requires constant bitrate (YouTube Help: Choose live encoder settings, bitrates, and resolutions)"},
		{"no filler", tw, func(c *rtmpsrc.Config) { c.VideoEncoder.NoFiller = true },
			"VideoEncoder.NoFiller true: Twitch requires constant bitrate, and without filler a simple or still picture sends far less than Bitrate (Twitch Broadcasting Guidelines)"},
		{"bitrate below the minimum", fb, func(c *rtmpsrc.Config) { c.VideoEncoder.Bitrate = 1 * encode.Mbps },
			"VideoEncoder.Bitrate 1 Mbit/s: below Facebook Live's 1.5 Mbit/s minimum for 720p30 (Facebook Live Video API reference)"},
		{"CRF", tw, func(c *rtmpsrc.Config) { c.VideoEncoder.Bitrate = 0 },
			"VideoEncoder.Bitrate 0 (CRF, constant quality): Twitch requires constant bitrate: set Bitrate (Twitch Broadcasting Guidelines)"},
		{"size", tw, func(c *rtmpsrc.Config) { c.VideoEncoder.Width, c.VideoEncoder.Height = 2560, 1440 },
			"VideoEncoder.Width/Height 2560x1440: larger than Twitch's 1920x1080 (Twitch Broadcasting Guidelines)"},
		{"frame rate not listed", tw, func(c *rtmpsrc.Config) { c.VideoEncoder.FrameRate = encode.Rational{Num: 24000, Den: 1001} },
			"VideoEncoder.FrameRate 23.98 fps: not one of Twitch's frame rates (25, 30, 50, 60 fps) (Twitch Broadcasting Guidelines)"},
		{"frame rate too high", yt, func(c *rtmpsrc.Config) { c.VideoEncoder.FrameRate = encode.Rational{Num: 120, Den: 1} },
			"VideoEncoder.FrameRate 120 fps: above YouTube's 60 fps maximum (YouTube Help: Choose live encoder settings, bitrates, and resolutions)"},
		{"profile", fb, func(c *rtmpsrc.Config) { c.VideoEncoder.Profile = "baseline" },
			"VideoEncoder.Profile baseline: not one of Facebook Live's H.264 profiles (main, high) (Facebook Live Video API reference)"},
		{"keyframes too far apart", yt, func(c *rtmpsrc.Config) { c.VideoEncoder.KeyframeInterval = 5 * time.Second },
			"VideoEncoder.KeyframeInterval 5s: above YouTube's 4s maximum (YouTube Help: Choose live encoder settings, bitrates, and resolutions)"},
		{"keyframes not 2 s", tw, func(c *rtmpsrc.Config) { c.VideoEncoder.KeyframeInterval = time.Second },
			"VideoEncoder.KeyframeInterval 1s: Twitch requires a keyframe every 2s (Twitch Broadcasting Guidelines)"},
		{"variable frame rate", fb, func(c *rtmpsrc.Config) { c.VideoEncoder.Timestamped = true },
			"VideoEncoder.Timestamped true (variable frame rate): Facebook Live's frame rate and keyframe rules are for a constant frame rate (Facebook Live Video API reference)"},
		{"no audio", fb, func(c *rtmpsrc.Config) { c.Audio = nil },
			"Audio none: Facebook Live requires both audio and video (Facebook Live Video API reference)"},
		{"sample rate of the source", fb, withAudio(32000, 2),
			"AudioEncoder.SampleRate 32000 Hz: not one of Facebook Live's sample rates (44100, 48000 Hz) (Facebook Live Video API reference)"},
		{"mono", yt, withAudio(44100, 1),
			"AudioEncoder.Channels 1: YouTube takes stereo (YouTube Help: Choose live encoder settings, bitrates, and resolutions)"},
		{"audio bitrate", tw, func(c *rtmpsrc.Config) { c.AudioEncoder.Bitrate = 192 * encode.Kbps },
			"AudioEncoder.Bitrate 192 kbit/s: above Twitch's 160 kbit/s maximum (Twitch Broadcasting Guidelines)"},
		{"mono source", fb, func(c *rtmpsrc.Config) {
			c.Audio, c.AudioEncoder = capture.Silence(capture.AudioFormat{SampleRate: 48000, Channels: 1}), encode.AACOptions{}
		},
			"AudioEncoder.Channels 1: Facebook Live takes stereo (Facebook Live Video API reference)"},
		{"rtmp to Facebook", fb, func(c *rtmpsrc.Config) { c.URL = "rtmp://live-api-s.facebook.com/rtmp/" + key },
			"URL rtmp://live-api-s.facebook.com/rtmp/****: Facebook Live requires rtmps:// on port 443 (Facebook Live Video API reference)"},
		{"another port", fb, func(c *rtmpsrc.Config) {
			c.Destinations = []rtmpsrc.Destination{{URL: "rtmp://relay.example.com/live/x"}, {URL: "rtmps://rtmp-api.facebook.com:8443/rtmp/" + key}}
		}, "Destinations[1].URL rtmps://rtmp-api.facebook.com:8443/rtmp/****: Facebook Live requires rtmps:// on port 443 (Facebook Live Video API reference)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := presetConfig(t, tc.platform, 1280, 720, fps30)
			tc.change(&cfg)
			vs := tc.platform.Check(cfg)
			if len(vs) != 1 || vs[0].String() != tc.want {
				t.Fatalf("got %q,\nwant %q", vs, tc.want)
			}
			if vs[0].Platform != tc.platform.Name || vs[0].Source != tc.platform.Source {
				t.Errorf("platform %q, source %q", vs[0].Platform, vs[0].Source)
			}
			if strings.Contains(vs[0].String(), key) {
				t.Errorf("the stream key is in %q", vs[0])
			}
		})
	}
}

// The zero Config's encoders are CRF 1280x720 at 30 fps with 44.1 kHz
// stereo: fine for a server of one's own, but no CBR for the platforms.
func TestPlatformCheckDefaults(t *testing.T) {
	cfg := rtmpsrc.Config{URL: "rtmp://localhost/live/x"}
	for _, tc := range []struct {
		platform platform.Platform
		want     []string
	}{
		{platform.YouTube(), []string{"VideoEncoder.Bitrate"}},
		{platform.Twitch(), []string{"VideoEncoder.Bitrate"}},
		// A relay's URL is not Facebook's: only the encoding is held to
		// its rules.
		{platform.FacebookLive(), []string{"VideoEncoder.Bitrate", "Audio"}},
	} {
		var got []string
		for _, v := range tc.platform.Check(cfg) {
			got = append(got, v.Setting)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: violations of %v, want %v", tc.platform.Name, got, tc.want)
		}
	}
}

func TestPreflight(t *testing.T) {
	yt, tw := platform.YouTube(), platform.Twitch()
	cfg := presetConfig(t, tw, 1920, 1080, fps60)
	cfg.Destinations = []rtmpsrc.Destination{{URL: ingest["YouTube"]}}
	if err := platform.Preflight(cfg, tw, yt); err != nil {
		t.Fatalf("Twitch's 1080p60 preset breaks a rule: %v", err)
	}

	cfg.VideoEncoder.Bitrate = 8 * encode.Mbps
	cfg.VideoEncoder.KeyframeInterval = 4 * time.Second
	err := platform.Preflight(cfg, tw, yt)
	var pe *platform.PreflightError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a *PreflightError", err)
	}
	want := "platform: preflight: " +
		"VideoEncoder.Bitrate 8 Mbit/s: above Twitch's 6 Mbit/s maximum for 1080p60 (Twitch Broadcasting Guidelines); " +
		"VideoEncoder.KeyframeInterval 4s: Twitch requires a keyframe every 2s (Twitch Broadcasting Guidelines)"
	if err.Error() != want {
		t.Errorf("got  %q\nwant %q", err, want)
	}
	if len(pe.Violations) != 2 || pe.Violations[0].Platform != "Twitch" {
		t.Errorf("violations %v", pe.Violations)
	}
}
