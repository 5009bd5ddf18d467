package encode

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// invalidH264 walks every constraint H264Options documents: each case is
// refused with an *OptionError naming the field and its value.
var invalidH264 = []struct {
	name  string
	opts  H264Options
	field string
	value string
}{
	{"odd width", H264Options{Width: 641, Height: 360}, "Width", "641"},
	{"odd height", H264Options{Width: 640, Height: 361}, "Height", "361"},
	{"negative width", H264Options{Width: -2, Height: 360}, "Width", "-2"},
	{"zero height", H264Options{Width: 640}, "Height", "0"},
	{"huge width", H264Options{Width: 8194, Height: 360}, "Width", "8194"},
	{"zero frame rate", H264Options{FrameRate: Rational{0, 1}}, "FrameRate", "0/1"},
	{"negative denominator", H264Options{FrameRate: Rational{30, -1}}, "FrameRate", "30/-1"},
	{"frame rate above 240", H264Options{FrameRate: Rational{241, 1}}, "FrameRate", "241/1"},
	{"CRF", H264Options{CRF: 60}, "CRF", "60"},
	{"negative CRF", H264Options{CRF: -1}, "CRF", "-1"},
	{"negative bitrate", H264Options{Bitrate: -1}, "Bitrate", "-1"},
	{"bitrate in kbit/s", H264Options{Bitrate: 2500}, "Bitrate", "2500"},
	{"bitrate too high", H264Options{Bitrate: 2000 * Mbps}, "Bitrate", "2000000000"},
	{"max bitrate in kbit/s", H264Options{Bitrate: 2 * Mbps, MaxBitrate: 3000}, "MaxBitrate", "3000"},
	{"negative max bitrate", H264Options{MaxBitrate: -5}, "MaxBitrate", "-5"},
	{"negative buffer", H264Options{Bitrate: 2 * Mbps, BufferSize: -1}, "BufferSize", "-1"},
	{"huge buffer", H264Options{Bitrate: 2 * Mbps, BufferSize: 3000 * Mbps}, "BufferSize", "3000000000"},
	{"negative keyframe interval", H264Options{KeyframeInterval: -time.Second}, "KeyframeInterval", "-1s"},
	{"too many B-frames", H264Options{BFrames: 17, Tune: "film"}, "BFrames", "17"},
	{"negative B-frames", H264Options{BFrames: -1}, "BFrames", "-1"},
	{"B-frames with zerolatency", H264Options{BFrames: 2}, "BFrames", "2"},
	{"B-frames timestamped", H264Options{BFrames: 2, Tune: "film", Timestamped: true}, "BFrames", "2"},
	{"B-frames in baseline", H264Options{BFrames: 1, Tune: "film", Profile: "baseline"}, "BFrames", "1"},
	{"negative threads", H264Options{Threads: -1}, "Threads", "-1"},
	{"preset", H264Options{Preset: "warp"}, "Preset", `"warp"`},
	{"tune", H264Options{Tune: "cartoon"}, "Tune", `"cartoon"`},
	{"profile", H264Options{Profile: "extreme"}, "Profile", `"extreme"`},
}

var invalidAAC = []struct {
	name  string
	opts  AACOptions
	field string
	value string
}{
	{"sample rate", AACOptions{SampleRate: 44000}, "SampleRate", "44000"},
	{"negative sample rate", AACOptions{SampleRate: -1}, "SampleRate", "-1"},
	{"channels", AACOptions{Channels: 6}, "Channels", "6"},
	{"bitrate too low", AACOptions{Bitrate: 10}, "Bitrate", "10"},
	{"bitrate too high for the rate", AACOptions{SampleRate: 8000, Channels: 1, Bitrate: 64000}, "Bitrate", "64000"},
	{"bitrate above 320 kbit/s a channel", AACOptions{SampleRate: 96000, Channels: 1, Bitrate: 400000}, "Bitrate", "400000"},
}

func checkOptionError(t *testing.T, name string, err error, field, value string) {
	t.Helper()
	var oe *OptionError
	switch {
	case err == nil:
		t.Errorf("%s: accepted", name)
	case !errors.Is(err, ErrConfig) || !errors.As(err, &oe):
		t.Errorf("%s: %v, want an *OptionError wrapping ErrConfig", name, err)
	case oe.Field != field || fmt.Sprint(oe.Value) != value:
		t.Errorf("%s: %v names %s %v, want %s %s", name, err, oe.Field, oe.Value, field, value)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range invalidH264 {
		checkOptionError(t, c.name, c.opts.Validate(), c.field, c.value)
	}
	for _, c := range invalidAAC {
		checkOptionError(t, c.name, c.opts.Validate(), c.field, c.value)
	}
	// The zero values and every documented choice are accepted.
	valid := []H264Options{{}, {Width: 2, Height: 2}, {Width: 8192, Height: 8192}, {FrameRate: Rational{30000, 1001}},
		{FrameRate: Rational{240, 1}}, {CRF: 51}, {Bitrate: 16 * Kbps}, {Bitrate: 1000 * Mbps},
		{BFrames: 16, Tune: "film"}, {Timestamped: true}, {Profile: "baseline"}, {Profile: "main", BFrames: 3, Tune: "none"}}
	for _, p := range x264Presets {
		valid = append(valid, H264Options{Preset: p})
	}
	for _, tn := range x264Tunes {
		valid = append(valid, H264Options{Tune: tn})
	}
	for _, o := range valid {
		if err := o.Validate(); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
	for _, rate := range aacRates {
		for ch := 1; ch <= 2; ch++ {
			if err := (AACOptions{SampleRate: rate, Channels: ch}).Validate(); err != nil {
				t.Errorf("%d Hz, %d channels: %v", rate, ch, err)
			}
		}
	}
}
