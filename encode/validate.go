package encode

import (
	"fmt"
	"slices"
	"strings"
)

// OptionError names an option of H264Options or AACOptions that an
// encoder would refuse, with its value and why. It wraps ErrConfig.
type OptionError struct {
	// Field is the option's name, such as "Width" or "Bitrate".
	Field string
	// Value is the option's value, defaults filled in.
	Value any
	// Reason says what is wrong with it.
	Reason string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("encode: invalid configuration: %s %v: %s", e.Field, e.Value, e.Reason)
}

// Unwrap makes an OptionError match ErrConfig.
func (e *OptionError) Unwrap() error { return ErrConfig }

func optionErr(field string, value any, format string, args ...any) error {
	return &OptionError{Field: field, Value: value, Reason: fmt.Sprintf(format, args...)}
}

// Validate reports whether NewH264 accepts o, its zero fields taken as
// their defaults (WithDefaults). The error is an *OptionError naming the
// first option at fault.
func (o H264Options) Validate() error {
	o.setDefaults()
	return o.validate()
}

// Validate reports whether NewAAC accepts o, its zero fields taken as
// their defaults. The error is an *OptionError naming the first option at
// fault.
func (o AACOptions) Validate() error {
	o.setDefaults()
	return o.validate()
}

// Video bitrates outside this range are mistakes, such as kbit/s given
// where bit/s are meant.
const (
	minVideoBitrate = 16 * Kbps
	maxVideoBitrate = 1000 * Mbps
)

var (
	x264Presets = []string{"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo"}
	x264Tunes   = []string{"none", "film", "animation", "grain", "stillimage", "psnr", "ssim", "fastdecode", "zerolatency"}
	profiles    = []string{"baseline", "main", "high"}
)

// validate checks options whose defaults are filled in. x264 reports
// unknown names on stderr before any logger is set, so they are checked
// here too.
func (o *H264Options) validate() error {
	for _, d := range []struct {
		field string
		v     int
	}{{"Width", o.Width}, {"Height", o.Height}} {
		switch {
		case d.v <= 0 || d.v > 8192:
			return optionErr(d.field, d.v, "out of range [1, 8192]")
		case d.v%2 != 0:
			return optionErr(d.field, d.v, "must be even: 4:2:0 chroma covers 2x2 pixels")
		}
	}
	switch fr := o.FrameRate; {
	case fr.Num <= 0 || fr.Den <= 0:
		return optionErr("FrameRate", fmt.Sprintf("%d/%d", fr.Num, fr.Den), "numerator and denominator must be positive")
	case fr.Float() > 240:
		return optionErr("FrameRate", fmt.Sprintf("%d/%d", fr.Num, fr.Den), "above 240 fps")
	}
	if o.CRF < 0 || o.CRF > 51 {
		return optionErr("CRF", o.CRF, "out of range [0, 51]")
	}
	for _, b := range []struct {
		field string
		v     int
		max   int
	}{{"Bitrate", o.Bitrate, maxVideoBitrate}, {"MaxBitrate", o.MaxBitrate, maxVideoBitrate}, {"BufferSize", o.BufferSize, 2 * maxVideoBitrate}} {
		switch {
		case b.v < 0:
			return optionErr(b.field, b.v, "negative")
		case b.v > b.max:
			return optionErr(b.field, b.v, "above %d", b.max)
		case b.v > 0 && b.v < minVideoBitrate && b.field != "BufferSize":
			return optionErr(b.field, b.v, "below %d bit/s: bitrates are in bit/s (2.5 Mbit/s is 2500 * encode.Kbps)", minVideoBitrate)
		}
	}
	if o.KeyframeInterval < 0 {
		return optionErr("KeyframeInterval", o.KeyframeInterval, "negative")
	}
	switch {
	case o.BFrames < 0 || o.BFrames > 16:
		return optionErr("BFrames", o.BFrames, "out of range [0, 16]")
	case o.BFrames > 0 && o.Timestamped:
		return optionErr("BFrames", o.BFrames, "B-frames need a constant frame rate, and Timestamped is set")
	case o.BFrames > 0 && o.Tune == "zerolatency":
		return optionErr("BFrames", o.BFrames, "Tune zerolatency forbids B-frames; set Tune")
	case o.BFrames > 0 && o.Profile == "baseline":
		return optionErr("BFrames", o.BFrames, "Profile baseline has no B-frames")
	}
	if o.Threads < 0 {
		return optionErr("Threads", o.Threads, "negative")
	}
	if !slices.Contains(x264Presets, o.Preset) {
		return optionErr("Preset", fmt.Sprintf("%q", o.Preset), "want one of %s", strings.Join(x264Presets, ", "))
	}
	if !slices.Contains(x264Tunes, o.Tune) {
		return optionErr("Tune", fmt.Sprintf("%q", o.Tune), "want one of %s", strings.Join(x264Tunes, ", "))
	}
	if !slices.Contains(profiles, o.Profile) {
		return optionErr("Profile", fmt.Sprintf("%q", o.Profile), "want one of %s", strings.Join(profiles, ", "))
	}
	return nil
}

// validate checks options whose defaults are filled in.
func (o *AACOptions) validate() error {
	if !slices.Contains(aacRates, o.SampleRate) {
		return optionErr("SampleRate", o.SampleRate, "not an AAC sampling rate (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000 Hz)")
	}
	if o.Channels != 1 && o.Channels != 2 {
		return optionErr("Channels", o.Channels, "want 1 or 2")
	}
	// vo-aacenc accepts up to 6 bits per sample per second per channel.
	if hi := min(6*o.SampleRate*o.Channels, 320000*o.Channels); o.Bitrate < 8000 || o.Bitrate > hi {
		return optionErr("Bitrate", o.Bitrate, "out of range [8000, %d] bit/s for %d Hz, %d channels", hi, o.SampleRate, o.Channels)
	}
	return nil
}
