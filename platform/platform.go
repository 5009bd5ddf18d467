package platform

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/rtmpsrc"
)

// Platform is what an ingest platform publishes about the streams it
// takes: the limits Check holds a Config to, and the recommended values
// Preset starts from. YouTube, Twitch and FacebookLive return the three
// big ones; a program can adjust a copy when a platform changes its
// rules, or describe another platform. A zero limit is not checked.
type Platform struct {
	// Name is the platform's name in messages, such as "Twitch".
	Name string
	// Source names the published guidance the numbers come from; every
	// Violation cites it.
	Source string
	// Hosts are the platform's ingest host names. A destination whose
	// host is one of them, or below one, is held to the URL rules
	// (RequireRTMPS); other destinations, such as a relay, are not.
	Hosts []string

	// Video.

	// MaxWidth and MaxHeight bound the picture, landscape; a portrait
	// picture is compared turned.
	MaxWidth, MaxHeight int
	// MaxFrameRate bounds the frame rate.
	MaxFrameRate float64
	// FrameRates, when set, are the only frame rates taken. 29.97 and
	// 59.94 count as 30 and 60.
	FrameRates []float64
	// Bitrates are the video bitrate ranges by picture size and frame
	// rate, from small to large.
	Bitrates []BitrateRange
	// ConstantBitrate requires CBR: a Bitrate, with MaxBitrate equal to
	// it. CRF (constant quality, no Bitrate) breaks it.
	ConstantBitrate bool
	// Profiles, when set, are the H.264 profiles taken.
	Profiles []string
	// Profile is the profile Preset chooses.
	Profile string
	// KeyframeInterval is the recommended interval, which Preset
	// chooses.
	KeyframeInterval time.Duration
	// MinKeyframeInterval and MaxKeyframeInterval bound the interval.
	MinKeyframeInterval, MaxKeyframeInterval time.Duration
	// ConstantFrameRate rejects Timestamped (variable frame rate) video.
	ConstantFrameRate bool

	// Audio.

	// RequireAudio rejects a stream without an audio source.
	RequireAudio bool
	// SampleRates, when set, are the AAC sample rates taken.
	SampleRates []int
	// Channels, when set, are the channel counts taken.
	Channels []int
	// MaxAudioBitrate bounds the AAC bitrate, in bit/s.
	MaxAudioBitrate int
	// SampleRate and AudioBitrate (bit/s) are what Preset chooses, in
	// stereo.
	SampleRate, AudioBitrate int

	// RequireRTMPS rejects rtmp:// and any port but 443 for a
	// destination on one of Hosts.
	RequireRTMPS bool
}

// BitrateRange is a platform's video bitrate range for pictures up to a
// size and frame rate. A picture between two listed sizes uses the range
// of the next size up, and a frame rate between two listed rates the
// range of the next rate up.
type BitrateRange struct {
	// Height is the picture's height (its short side), such as 720.
	Height int
	// FrameRate is the highest frame rate the range is for, such as 30.
	FrameRate float64
	// Min, Recommended and Max are in bit/s. Preset chooses Recommended.
	Min, Recommended, Max int
}

func (r BitrateRange) String() string { return fmt.Sprintf("%dp%g", r.Height, r.FrameRate) }

// Violation is one setting that a platform's published rules reject.
type Violation struct {
	// Platform is the platform's Name.
	Platform string
	// Setting is the Config field at fault, such as
	// "VideoEncoder.Bitrate" or "Destinations[0].URL".
	Setting string
	// Value is the setting as the encoders will use it, defaults filled
	// in, such as "12 Mbit/s". A URL's key is redacted.
	Value string
	// Rule is the rule broken, worded to follow the value, such as
	// "above Twitch's 6 Mbit/s maximum".
	Rule string
	// Source names where the platform publishes the rule.
	Source string
}

// String reads "VideoEncoder.Bitrate 12 Mbit/s: above Twitch's 6 Mbit/s
// maximum (Twitch Broadcasting Guidelines)".
func (v Violation) String() string {
	s := v.Setting + " " + v.Value + ": " + v.Rule
	if v.Source != "" {
		s += " (" + v.Source + ")"
	}
	return s
}

// PreflightError lists every violation Preflight found.
type PreflightError struct {
	Violations []Violation
}

func (e *PreflightError) Error() string {
	var b strings.Builder
	b.WriteString("platform: preflight: ")
	for i, v := range e.Violations {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(v.String())
	}
	return b.String()
}

// Preflight checks cfg against each platform before going live, and
// returns a *PreflightError listing every violation, or nil. A stream
// sent to several platforms at once is one encode: check it against all
// of them.
func Preflight(cfg rtmpsrc.Config, platforms ...Platform) error {
	var all []Violation
	for _, p := range platforms {
		all = append(all, p.Check(cfg)...)
	}
	if len(all) == 0 {
		return nil
	}
	return &PreflightError{Violations: all}
}

// Preset returns encoder options following the platform's
// recommendations for a picture size and frame rate: its recommended
// constant bitrate for that size and rate (MaxBitrate and BufferSize
// left to default to Bitrate, so they follow a Bitrate changed
// afterwards), its keyframe interval and profile, and AAC at its sample
// rate and bitrate in stereo. Every other field keeps its default.
// Override any of them before use; Check says whether the result still
// follows the platform's rules.
//
// The audio source must deliver the preset's SampleRate and Channels, or
// set them to 0 to take the source's. Preset fails, with an error
// wrapping ErrNotTaken, for a size or frame rate the platform does not
// take.
func (p Platform) Preset(width, height int, fps encode.Rational) (encode.H264Options, encode.AACOptions, error) {
	if width <= 0 || height <= 0 || fps.Num <= 0 || fps.Den <= 0 {
		return encode.H264Options{}, encode.AACOptions{}, fmt.Errorf("%w: preset for %dx%d at %d/%d fps", ErrNotTaken, width, height, fps.Num, fps.Den)
	}
	video := encode.H264Options{
		Width: width, Height: height,
		FrameRate:        fps,
		Profile:          p.Profile,
		KeyframeInterval: p.KeyframeInterval,
	}
	if r, ok := p.bitrateRange(width, height, fps.Float()); ok {
		video.Bitrate = r.Recommended
	}
	var vs []Violation
	vs = p.checkPicture(vs, video)
	if len(vs) > 0 {
		return encode.H264Options{}, encode.AACOptions{}, fmt.Errorf("%w: %s", ErrNotTaken, vs[0])
	}
	audio := encode.AACOptions{SampleRate: p.SampleRate, Channels: 2, Bitrate: p.AudioBitrate}
	return video, audio, nil
}

// Check reports each setting of cfg that the platform's published
// ingest rules reject, each with the rule and its source, or nothing.
// It looks at VideoEncoder and AudioEncoder as the encoders will use
// them, defaults filled in (a zero VideoEncoder is CRF, which a platform
// that requires CBR rejects), at the audio source's format, and at the
// URL of each destination on the platform's Hosts.
func (p Platform) Check(cfg rtmpsrc.Config) []Violation {
	var vs []Violation
	video := cfg.VideoEncoder.WithDefaults()
	vs = p.checkPicture(vs, video)
	vs = p.checkRate(vs, video)
	vs = p.checkAudio(vs, cfg)
	vs = p.checkURLs(vs, cfg)
	return vs
}

func (p Platform) violation(setting, value, rule string, args ...any) Violation {
	return Violation{Platform: p.Name, Setting: setting, Value: value, Rule: fmt.Sprintf(rule, args...), Source: p.Source}
}

// checkPicture checks the size and frame rate.
func (p Platform) checkPicture(vs []Violation, o encode.H264Options) []Violation {
	long, short := max(o.Width, o.Height), min(o.Width, o.Height)
	if p.MaxWidth > 0 && (long > max(p.MaxWidth, p.MaxHeight) || short > min(p.MaxWidth, p.MaxHeight)) {
		vs = append(vs, p.violation("VideoEncoder.Width/Height", fmt.Sprintf("%dx%d", o.Width, o.Height),
			"larger than %s's %dx%d", p.Name, p.MaxWidth, p.MaxHeight))
	}
	fps := o.FrameRate.Float()
	if p.MaxFrameRate > 0 && !atMost(fps, p.MaxFrameRate) {
		vs = append(vs, p.violation("VideoEncoder.FrameRate", formatFPS(fps), "above %s's %g fps maximum", p.Name, p.MaxFrameRate))
	} else if len(p.FrameRates) > 0 && !slices.ContainsFunc(p.FrameRates, func(r float64) bool { return sameRate(fps, r) }) {
		vs = append(vs, p.violation("VideoEncoder.FrameRate", formatFPS(fps), "not one of %s's frame rates (%s fps)", p.Name, joinFloats(p.FrameRates)))
	}
	return vs
}

// checkRate checks rate control, bitrate, profile, keyframes and
// timing.
func (p Platform) checkRate(vs []Violation, o encode.H264Options) []Violation {
	if p.ConstantBitrate {
		switch {
		case o.Bitrate == 0:
			vs = append(vs, p.violation("VideoEncoder.Bitrate", "0 (CRF, constant quality)", "%s requires constant bitrate: set Bitrate", p.Name))
		case o.MaxBitrate != o.Bitrate:
			vs = append(vs, p.violation("VideoEncoder.MaxBitrate", formatBitrate(o.MaxBitrate),
				"differs from Bitrate %s: %s requires constant bitrate", formatBitrate(o.Bitrate), p.Name))
		case o.NoFiller:
			vs = append(vs, p.violation("VideoEncoder.NoFiller", "true",
				"%s requires constant bitrate, and without filler a simple or still picture sends far less than Bitrate", p.Name))
		}
	}
	if r, ok := p.bitrateRange(o.Width, o.Height, o.FrameRate.Float()); ok && o.Bitrate > 0 {
		if r.Min > 0 && o.Bitrate < r.Min {
			vs = append(vs, p.violation("VideoEncoder.Bitrate", formatBitrate(o.Bitrate), "below %s's %s minimum for %s", p.Name, formatBitrate(r.Min), r))
		}
		if peak := max(o.Bitrate, o.MaxBitrate); r.Max > 0 && peak > r.Max {
			setting := "VideoEncoder.Bitrate"
			if o.MaxBitrate > o.Bitrate {
				setting = "VideoEncoder.MaxBitrate"
			}
			vs = append(vs, p.violation(setting, formatBitrate(peak), "above %s's %s maximum for %s", p.Name, formatBitrate(r.Max), r))
		}
	}
	if len(p.Profiles) > 0 && !slices.Contains(p.Profiles, o.Profile) {
		vs = append(vs, p.violation("VideoEncoder.Profile", o.Profile, "not one of %s's H.264 profiles (%s)", p.Name, strings.Join(p.Profiles, ", ")))
	}
	k := o.KeyframeInterval
	switch {
	case p.MinKeyframeInterval > 0 && p.MinKeyframeInterval == p.MaxKeyframeInterval && k != p.MaxKeyframeInterval:
		vs = append(vs, p.violation("VideoEncoder.KeyframeInterval", k.String(), "%s requires a keyframe every %v", p.Name, p.MaxKeyframeInterval))
	case p.MaxKeyframeInterval > 0 && k > p.MaxKeyframeInterval:
		vs = append(vs, p.violation("VideoEncoder.KeyframeInterval", k.String(), "above %s's %v maximum", p.Name, p.MaxKeyframeInterval))
	case p.MinKeyframeInterval > 0 && k < p.MinKeyframeInterval:
		vs = append(vs, p.violation("VideoEncoder.KeyframeInterval", k.String(), "below %s's %v minimum", p.Name, p.MinKeyframeInterval))
	}
	if p.ConstantFrameRate && o.Timestamped {
		vs = append(vs, p.violation("VideoEncoder.Timestamped", "true (variable frame rate)",
			"%s's frame rate and keyframe rules are for a constant frame rate", p.Name))
	}
	return vs
}

// checkAudio checks the AAC settings as the publisher opens the encoder:
// sample rate and channels from the source when there is one.
func (p Platform) checkAudio(vs []Violation, cfg rtmpsrc.Config) []Violation {
	if p.RequireAudio && cfg.Audio == nil {
		vs = append(vs, p.violation("Audio", "none", "%s requires both audio and video", p.Name))
	}
	o := cfg.AudioEncoder
	if cfg.Audio != nil {
		f := cfg.Audio.Format()
		o.SampleRate, o.Channels = f.SampleRate, f.Channels
	}
	o = o.WithDefaults()
	if len(p.SampleRates) > 0 && !slices.Contains(p.SampleRates, o.SampleRate) {
		rates := make([]string, len(p.SampleRates))
		for i, r := range p.SampleRates {
			rates[i] = strconv.Itoa(r)
		}
		vs = append(vs, p.violation("AudioEncoder.SampleRate", fmt.Sprintf("%d Hz", o.SampleRate),
			"not one of %s's sample rates (%s Hz)", p.Name, strings.Join(rates, ", ")))
	}
	if len(p.Channels) > 0 && !slices.Contains(p.Channels, o.Channels) {
		vs = append(vs, p.violation("AudioEncoder.Channels", strconv.Itoa(o.Channels), "%s takes %s", p.Name, channelNames(p.Channels)))
	}
	if p.MaxAudioBitrate > 0 && o.Bitrate > p.MaxAudioBitrate {
		vs = append(vs, p.violation("AudioEncoder.Bitrate", formatBitrate(o.Bitrate), "above %s's %s maximum", p.Name, formatBitrate(p.MaxAudioBitrate)))
	}
	return vs
}

// checkURLs checks the destinations on the platform's hosts. A URL that
// does not parse is left to New to report.
func (p Platform) checkURLs(vs []Violation, cfg rtmpsrc.Config) []Violation {
	if !p.RequireRTMPS {
		return vs
	}
	check := func(setting, raw string) {
		u, err := rtmpsrc.ParseURL(raw)
		if err != nil || !p.isHost(u.Host) {
			return
		}
		if u.Scheme != "rtmps" || u.Port != 443 {
			vs = append(vs, p.violation(setting, u.String(), "%s requires rtmps:// on port 443", p.Name))
		}
	}
	if cfg.URL != "" {
		check("URL", cfg.URL)
	}
	for i, d := range cfg.Destinations {
		check(fmt.Sprintf("Destinations[%d].URL", i), d.URL)
	}
	return vs
}

func (p Platform) isHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	return slices.ContainsFunc(p.Hosts, func(h string) bool { return host == h || strings.HasSuffix(host, "."+h) })
}

// bitrateRange finds the range for a picture: the smallest listed height
// at least as tall, then the smallest listed frame rate at least as
// high; past the table, its largest entry.
func (p Platform) bitrateRange(width, height int, fps float64) (BitrateRange, bool) {
	if len(p.Bitrates) == 0 {
		return BitrateRange{}, false
	}
	short := min(width, height)
	h := p.Bitrates[len(p.Bitrates)-1].Height
	for _, r := range p.Bitrates {
		if r.Height >= short {
			h = r.Height
			break
		}
	}
	var found BitrateRange
	for _, r := range p.Bitrates {
		if r.Height != h {
			continue
		}
		found = r
		if atMost(fps, r.FrameRate) {
			break
		}
	}
	return found, true
}

// atMost compares frame rates allowing NTSC rates (30000/1001) to count
// as their round neighbours.
func atMost(fps, limit float64) bool { return fps <= limit*1.002 }

func sameRate(fps, r float64) bool { return math.Abs(fps-r) <= r*0.002 }

func formatFPS(fps float64) string {
	return strconv.FormatFloat(math.Round(fps*100)/100, 'f', -1, 64) + " fps"
}

func joinFloats(fs []float64) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strings.Join(s, ", ")
}

// formatBitrate writes bit/s as "4.5 Mbit/s" or "128 kbit/s".
func formatBitrate(b int) string {
	if b >= encode.Mbps {
		return strconv.FormatFloat(float64(b)/encode.Mbps, 'f', -1, 64) + " Mbit/s"
	}
	return strconv.FormatFloat(float64(b)/encode.Kbps, 'f', -1, 64) + " kbit/s"
}

func channelNames(chs []int) string {
	names := make([]string, len(chs))
	for i, c := range chs {
		switch c {
		case 1:
			names[i] = "mono"
		case 2:
			names[i] = "stereo"
		default:
			names[i] = strconv.Itoa(c) + " channels"
		}
	}
	return strings.Join(names, " or ")
}
