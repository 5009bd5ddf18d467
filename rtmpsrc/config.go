package rtmpsrc

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/internal/rtmp"
)

// Config describes a stream. Set where it goes (URL, Destinations,
// Output) and at least one source; every other field has a working
// default.
type Config struct {
	// Where the stream goes.

	// URL is where to publish: rtmp://host[:port]/app[/instance]/key or
	// rtmps://…. It is the same as one more Destination with only its
	// URL set, put first. It defaults to none.
	URL string
	// Destinations are servers the same stream goes to, encoded once.
	// Each has its own send queue, drop policy, reconnection and
	// counters; one that is refused, slow or down holds up no other. It
	// defaults to none.
	Destinations []Destination
	// Output receives the stream as an FLV file. With no URL and no
	// Destinations the stream runs as fast as the encoders; otherwise it
	// is paced by the wall clock and Output records what is sent. It
	// defaults to none.
	Output io.Writer

	// What is streamed.

	// Video is the picture source. It defaults to none (audio only).
	Video capture.VideoSource
	// VideoEncoder configures H.264: size, frame rate, bitrate, keyframe
	// interval, and whether frames carry their own time stamps
	// (Timestamped; otherwise the source is sampled once per frame
	// interval, the constant frame rate ingest servers want). Its zero
	// value is 1280x720 at 30 fps; see encode.H264Options.
	VideoEncoder encode.H264Options
	// Fit says what happens to a picture whose size differs from
	// VideoEncoder's, or changes mid-stream (a window resized): it is
	// scaled keeping its aspect ratio and centred on black bars
	// (encode.FitLetterbox), scaled to fill the frame (encode.FitStretch),
	// or refused, which ends the stream with encode.ErrImageSize
	// (encode.FitReject). The stream itself goes on unchanged: same size,
	// keyframes on their schedule, same clock. A picture of the
	// configured size is converted as before. It defaults to
	// encode.FitLetterbox.
	Fit encode.Fit
	// Audio is the PCM source. It defaults to none (video only).
	Audio capture.AudioSource
	// AudioEncoder configures AAC. SampleRate and Channels default to the
	// audio source's format, and must match it when set. Its Bitrate
	// defaults to 64 kbit/s per channel; see encode.AACOptions.
	AudioEncoder encode.AACOptions
	// End says when a stream with both sources is over. It defaults to
	// EndWithVideo: when the video source ends.
	End EndPolicy
	// StartTime is the media time of the first packet. It defaults to 0;
	// a stream that continues an earlier one can start later.
	StartTime time.Duration

	// How every destination connects.

	// TLSConfig is used for rtmps://. It defaults to verifying the server
	// against the system roots.
	TLSConfig *tls.Config
	// DialContext opens the TCP connection, for a program that must go
	// through a proxy or bind to an interface. It defaults to a
	// net.Dialer's.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// DialTimeout bounds the TCP connection. It defaults to 10 s.
	DialTimeout time.Duration
	// SetupTimeout bounds the TLS and RTMP handshakes, connect,
	// createStream and publish, together. It defaults to 10 s.
	SetupTimeout time.Duration
	// WriteTimeout bounds each write to a server, and the time a stream
	// that ends spends sending what is still queued. It defaults to 10 s.
	WriteTimeout time.Duration
	// StallTimeout is how long a connection may hold data that its
	// server does not acknowledge before it is taken for dead (a path
	// that went down without a FIN or RST, or a server that stopped
	// reading) and re-established. A slow link is never taken for dead:
	// what it carries is acknowledged. It defaults to 4 s. On Linux it
	// is measured from the socket's acknowledged bytes (and set as
	// TCP_USER_TIMEOUT); elsewhere, as a write blocked that long.
	StallTimeout time.Duration
	// ChunkSize is the RTMP chunk size we send with. It defaults to 4096.
	ChunkSize int
	// MaxLatency bounds a destination's send delay when the network is
	// slower than the stream: the media time between the newest tag and
	// the oldest the server has not received, in the send queue, the
	// kernel and on the way. Past it, video frames are dropped from the
	// queue (never audio, keyframes or headers), and no more is handed
	// to the kernel while half of it is already there. It defaults to
	// 700 ms. On Linux the kernel's share is measured (SIOCOUTQ) and its
	// unsent bytes are kept under 8 KiB (TCP_NOTSENT_LOWAT); elsewhere
	// only the queue is measured and SendBuffer bounds the rest.
	MaxLatency time.Duration
	// SendBuffer is the socket send buffer in bytes, which bounds the
	// data on the way. It defaults to 128 KiB.
	SendBuffer int
	// DynamicBitrate lowers the video encoder's bitrate when a
	// destination's link cannot carry the stream, instead of dropping
	// whole groups of pictures, and raises it back, step by step, up to
	// VideoEncoder.Bitrate once the link has room. x264 changes rate
	// without a new stream or a keyframe. With several destinations the
	// most congested live one sets the rate for all, since the stream
	// is encoded once (see bitrate.go). It needs VideoEncoder.Bitrate.
	// It defaults to false: the bitrate is fixed and congestion drops
	// frames.
	DynamicBitrate bool
	// Reconnect says how a connection that drops mid-stream is
	// re-established. Its zero value reconnects with backoff.
	Reconnect ReconnectPolicy

	// Logger receives the publisher's log. It defaults to discarding.
	Logger *slog.Logger
}

// Destination is one server a stream goes to.
type Destination struct {
	// URL is rtmp://host[:port]/app[/instance]/key or rtmps://….
	URL string
	// Name identifies the destination in logs and Stats. It defaults to
	// the URL with its key redacted.
	Name string
	// Required ends the stream when this destination fails for good
	// (refused, or lost and not re-established). It defaults to false:
	// the stream goes on while any destination is live, and ends when
	// all have failed.
	Required bool
}

// EndPolicy says when a stream with both a picture and a sound is over.
// A stream with one source ends when that source ends (io.EOF).
type EndPolicy int

const (
	// EndWithVideo ends the stream when the video source ends: the audio
	// is cut at the end of the last picture (its time plus one frame
	// interval), flushed, and the stream unpublished. An endless audio
	// source, such as capture.Tone, therefore never keeps a finished
	// picture going. If the audio source ends first, the stream goes on
	// with video alone. This is the default.
	EndWithVideo EndPolicy = iota
	// EndWithBoth ends the stream when both sources have ended: once the
	// picture ends, the stream goes on with audio alone until the audio
	// source ends too.
	EndWithBoth
)

func (e EndPolicy) String() string {
	switch e {
	case EndWithVideo:
		return "EndWithVideo"
	case EndWithBoth:
		return "EndWithBoth"
	}
	return fmt.Sprintf("EndPolicy(%d)", int(e))
}

const (
	defaultTimeout    = 10 * time.Second
	defaultChunkSize  = 4096
	defaultSendBuffer = 128 << 10
	defaultMaxLatency = 700 * time.Millisecond
	// Under 5 s with the watch's tick, and far above the longest pause
	// between acknowledgements of a live link.
	defaultStallTimeout = 4 * time.Second
)

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// configError is a configuration New refuses: it names the field, and
// wraps ErrConfig and the cause (an *encode.OptionError for an encoder
// option).
type configError struct {
	msg   string
	cause error
}

func (e *configError) Error() string { return e.msg }

func (e *configError) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrConfig}
	}
	return []error{ErrConfig, e.cause}
}

func badField(field string, value any, format string, args ...any) error {
	return &configError{msg: fmt.Sprintf("%v: %s %v: %s", ErrConfig, field, value, fmt.Sprintf(format, args...))}
}

// badOption names an encoder option at fault under its Config field.
func badOption(field string, err error) error {
	var oe *encode.OptionError
	if errors.As(err, &oe) {
		return &configError{msg: fmt.Sprintf("%v: %s.%s %v: %s", ErrConfig, field, oe.Field, oe.Value, oe.Reason), cause: err}
	}
	return &configError{msg: fmt.Sprintf("%v: %s: %s", ErrConfig, field, strings.TrimPrefix(err.Error(), "rtmpsrc: ")), cause: err}
}

// check validates cfg, encoder options included, and parses its URLs,
// once, in New: nothing it accepts fails later for a reason it could see.
func (cfg *Config) check() ([]*destination, error) {
	if cfg.URL == "" && len(cfg.Destinations) == 0 && cfg.Output == nil {
		return nil, fmt.Errorf("%w: no URL, Destinations or Output: the stream goes nowhere", ErrConfig)
	}
	if cfg.Video == nil && cfg.Audio == nil {
		return nil, fmt.Errorf("%w: no Video or Audio source", ErrConfig)
	}
	if cfg.Video != nil {
		if err := cfg.VideoEncoder.Validate(); err != nil {
			return nil, badOption("VideoEncoder", err)
		}
		// The x264 library GOLIVECAST_X264 asks for, if any, must be
		// usable now rather than when Run opens the encoder.
		if _, err := encode.X264Info(); err != nil {
			return nil, err
		}
	}
	if cfg.Audio != nil {
		f := cfg.Audio.Format()
		if err := f.Validate(); err != nil {
			return nil, &configError{msg: fmt.Sprintf("%v: Audio: format %d Hz, %d channels: %v", ErrConfig, f.SampleRate, f.Channels, err), cause: err}
		}
		a := cfg.AudioEncoder
		if a.SampleRate != 0 && a.SampleRate != f.SampleRate {
			return nil, badField("AudioEncoder.SampleRate", a.SampleRate, "the audio source gives %d Hz", f.SampleRate)
		}
		if a.Channels != 0 && a.Channels != f.Channels {
			return nil, badField("AudioEncoder.Channels", a.Channels, "the audio source gives %d channels", f.Channels)
		}
		a.SampleRate, a.Channels = f.SampleRate, f.Channels
		if err := a.Validate(); err != nil {
			return nil, badOption("AudioEncoder", err)
		}
	}
	if cfg.DynamicBitrate && cfg.VideoEncoder.Bitrate == 0 {
		return nil, badField("DynamicBitrate", true, "needs VideoEncoder.Bitrate: CRF has no bitrate to change")
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{
		{"DialTimeout", cfg.DialTimeout}, {"SetupTimeout", cfg.SetupTimeout}, {"WriteTimeout", cfg.WriteTimeout},
		{"StallTimeout", cfg.StallTimeout}, {"StartTime", cfg.StartTime}, {"MaxLatency", cfg.MaxLatency},
		{"Reconnect.InitialDelay", cfg.Reconnect.InitialDelay}, {"Reconnect.MaxDelay", cfg.Reconnect.MaxDelay},
	} {
		if d.v < 0 {
			return nil, badField(d.field, d.v, "negative")
		}
	}
	if cfg.SendBuffer < 0 {
		return nil, badField("SendBuffer", cfg.SendBuffer, "negative")
	}
	if cfg.Reconnect.MaxAttempts < 0 {
		return nil, badField("Reconnect.MaxAttempts", cfg.Reconnect.MaxAttempts, "negative")
	}
	if cfg.ChunkSize != 0 && (cfg.ChunkSize < 128 || cfg.ChunkSize > 1<<20) {
		return nil, badField("ChunkSize", cfg.ChunkSize, "out of range [128, 1048576]")
	}
	if err := cfg.Fit.Validate(); err != nil {
		return nil, &configError{msg: fmt.Sprintf("%v: Fit %v: want FitLetterbox, FitStretch or FitReject", ErrConfig, cfg.Fit), cause: err}
	}
	if cfg.End != EndWithVideo && cfg.End != EndWithBoth {
		return nil, badField("End", cfg.End, "want EndWithVideo or EndWithBoth")
	}
	all := cfg.Destinations
	if cfg.URL != "" {
		all = append([]Destination{{URL: cfg.URL}}, all...)
	}
	dests := make([]*destination, 0, len(all))
	for i, d := range all {
		u, err := ParseURL(d.URL)
		if err != nil {
			field := "URL"
			if j := i - (len(all) - len(cfg.Destinations)); j >= 0 {
				field = fmt.Sprintf("Destinations[%d].URL", j)
			}
			return nil, badOption(field, err)
		}
		name := orDefault(d.Name, u.String())
		dests = append(dests, &destination{name: name, url: u, required: d.Required})
	}
	return dests, nil
}

// dialOptions are the connection settings of every destination.
func (cfg *Config) dialOptions(log *slog.Logger) rtmp.Options {
	o := rtmp.Options{
		TLS:          cfg.TLSConfig,
		DialContext:  cfg.DialContext,
		DialTimeout:  orDefault(cfg.DialTimeout, defaultTimeout),
		SetupTimeout: orDefault(cfg.SetupTimeout, defaultTimeout),
		WriteTimeout: orDefault(cfg.WriteTimeout, defaultTimeout),
		StallTimeout: orDefault(cfg.StallTimeout, defaultStallTimeout),
		ChunkSize:    orDefault(cfg.ChunkSize, defaultChunkSize),
		SendBuffer:   orDefault(cfg.SendBuffer, defaultSendBuffer),
		Logger:       log,
		StatusError: func(command, level, code, description string) error {
			return &StatusError{Command: command, Level: level, Code: code, Description: description}
		},
	}
	if o.DialContext == nil {
		o.DialContext = (&net.Dialer{}).DialContext
	}
	return o
}
