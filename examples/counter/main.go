// This example shows how to:
//  1. draw pictures in Go (a frame counter, the media time and a moving
//     bar, with a real font) and make audio (a tone, silence, or the
//     microphone);
//  2. publish them live over RTMP or RTMPS with golivecast, with no
//     ffmpeg process;
//  3. with no -url, run an RTMP server in-process on loopback that
//     records what it receives into -out, so the demo needs nothing else.
//
// Run it:
//
//	go run ./examples/counter                                  # records counter.flv
//	go run ./examples/counter -url rtmp://localhost/live/test  # to your server
//	go run ./examples/counter -flash -duration 10s             # lip-sync pattern
//	go run ./examples/counter -resize 3s                       # the picture changes size every 3 s
//
// The microphone (-audio mic) needs a sound system: on Debian, PulseAudio
// (apt-get install pulseaudio) or ALSA.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/capture/microphone"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/examples/counter/scene"
	"github.com/golivecast/golivecast/rtmpsrc"
	"github.com/golivecast/golivecast/rtmptest"
)

type options struct {
	urls      urlList
	out       string
	duration  time.Duration
	fps       int
	width     int
	height    int
	audio     string
	preset    string
	bitrate   int
	flash     bool
	resize    time.Duration
	fit       encode.Fit
	reconnect bool
	dynamic   bool
	verbose   bool
}

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "counter:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("counter", flag.ContinueOnError)
	fs.SetOutput(stderr)
	size, fit := "1280x720", "letterbox"
	fs.Var(&o.urls, "url", "publish to this rtmp:// or rtmps:// URL; repeat it to publish to several servers at once, encoding once (default: an in-process server recording to -out)")
	fs.StringVar(&o.out, "out", "counter.flv", "where the in-process server records the stream")
	fs.DurationVar(&o.duration, "duration", 0, "how long to stream (0: until interrupted)")
	fs.IntVar(&o.fps, "fps", 30, "frames per second")
	fs.StringVar(&size, "size", size, "picture size WIDTHxHEIGHT (even numbers)")
	fs.StringVar(&o.audio, "audio", "tone", "audio: tone, silence, none or mic")
	fs.StringVar(&o.preset, "preset", "veryfast", "x264 preset (ultrafast … veryslow)")
	fs.IntVar(&o.bitrate, "bitrate", 2500, "video bitrate in kbit/s")
	fs.BoolVar(&o.flash, "flash", false, "lip-sync pattern: a white flash and a 1 kHz beep for the first 100 ms of every second")
	fs.DurationVar(&o.resize, "resize", 0, "draw the picture at another size every this much media time (0: never), to show pictures of any size fitted into the stream")
	fs.StringVar(&fit, "fit", fit, "how a picture of another size fits the stream: letterbox (scaled, centred on black bars), stretch or reject (an error)")
	fs.BoolVar(&o.reconnect, "reconnect", true, "re-establish a connection that drops mid-stream")
	fs.BoolVar(&o.dynamic, "dynamic-bitrate", false, "lower the video bitrate while a link is congested, instead of dropping frames, and raise it back once the link has room")
	fs.BoolVar(&o.verbose, "v", false, "log what the publisher does")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	w, h, ok := strings.Cut(size, "x")
	var err1, err2 error
	o.width, err1 = strconv.Atoi(w)
	o.height, err2 = strconv.Atoi(h)
	if !ok || err1 != nil || err2 != nil {
		return nil, fmt.Errorf("-size %q: want WIDTHxHEIGHT, such as 1280x720", size)
	}
	// Checked here, not left to the encoder, so that a wrong size fails
	// before the in-process server starts.
	if o.width%2 != 0 || o.height%2 != 0 {
		return nil, fmt.Errorf("-size %dx%d: width and height must be even (H.264 4:2:0)", o.width, o.height)
	}
	if o.fps < 1 || o.fps > 120 {
		return nil, fmt.Errorf("-fps %d: want 1 to 120", o.fps)
	}
	if o.duration < 0 {
		return nil, fmt.Errorf("-duration %v is negative", o.duration)
	}
	if o.resize < 0 {
		return nil, fmt.Errorf("-resize %v is negative", o.resize)
	}
	if o.fit, err1 = parseFit(fit); err1 != nil {
		return nil, err1
	}
	switch o.audio {
	case "tone", "silence", "none", "mic":
	default:
		return nil, fmt.Errorf("-audio %q: want tone, silence, none or mic", o.audio)
	}
	return o, nil
}

func run(args []string, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, a second one kills the demo at once.
	go func() {
		<-ctx.Done()
		stop()
	}()

	logger := slog.New(slog.DiscardHandler)
	if o.verbose {
		logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}

	urls := o.urls
	var srv *rtmptest.Server
	recorded := make(chan struct{})
	if len(urls) == 0 {
		srv, err = rtmptest.Start(rtmptest.Config{
			DropPayloads: true,
			Logger:       logger,
			Record: func(app, key string) (io.WriteCloser, error) {
				f, err := os.Create(o.out)
				if err != nil {
					return nil, err
				}
				return &closeNotifier{File: f, done: recorded}, nil
			},
		})
		if err != nil {
			return fmt.Errorf("starting the in-process server: %w", err)
		}
		defer srv.Close()
		urls = urlList{srv.URL("live", "counter")}
		fmt.Fprintf(stderr, "counter: in-process RTMP server on %s, recording to %s\n", srv.Addr(), o.out)
	}

	frames := 0
	if o.duration > 0 {
		frames = int(o.duration.Seconds()*float64(o.fps) + 0.5)
	}
	var pictures interface{ Draw(int) image.Image }
	if o.resize > 0 {
		pictures, err = newResizingScene(o.width, o.height, o.fps, o.flash, o.resize)
	} else {
		pictures, err = scene.New(o.width, o.height, o.fps, o.flash)
	}
	if err != nil {
		return err
	}
	video := capture.Images(func(i int) image.Image {
		if frames > 0 && i >= frames {
			return nil
		}
		return pictures.Draw(i)
	})

	var audio capture.AudioSource
	format := capture.AudioFormat{SampleRate: 44100, Channels: 2}
	switch {
	case o.audio == "mic":
		mic, err := microphone.Open(microphone.Options{Format: format, Logger: logger})
		if err != nil {
			return err
		}
		defer mic.Close()
		audio = limitAudio(mic, o.duration)
	case o.audio == "none":
	case o.flash:
		audio = newBeeps(format, o.duration, o.audio == "silence")
	case o.audio == "tone":
		t := capture.Tone(format, 440, 0.2)
		t.Duration = o.duration
		audio = t
	case o.audio == "silence":
		t := capture.Silence(format)
		t.Duration = o.duration
		audio = t
	}

	pub, err := rtmpsrc.New(rtmpsrc.Config{
		Destinations: urls.destinations(),
		Video:        video,
		Audio:        audio,
		VideoEncoder: encode.H264Options{
			Width: o.width, Height: o.height,
			FrameRate: encode.Rational{Num: o.fps, Den: 1},
			Preset:    o.preset,
			Bitrate:   o.bitrate * encode.Kbps,
		},
		Fit:            o.fit,
		Reconnect:      rtmpsrc.ReconnectPolicy{Disabled: !o.reconnect},
		DynamicBitrate: o.dynamic,
		Logger:         logger,
	})
	if err != nil {
		return err
	}
	defer pub.Close()

	var line statusLine
	statusDone := make(chan struct{})
	statusStop := make(chan struct{})
	go func() {
		defer close(statusDone)
		status(stderr, pub, &line, statusStop)
	}()
	err = pub.Run(ctx)
	close(statusStop)
	<-statusDone
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	st := pub.Stats()
	line.print(stderr, st, true)
	if len(st.Destinations) > 1 {
		for _, d := range st.Destinations {
			if d.Err != nil {
				fmt.Fprintf(stderr, "counter: %s: %s: %v\n", d.Name, d.State, d.Err)
			} else {
				fmt.Fprintf(stderr, "counter: %s: %s, %d bytes sent\n", d.Name, d.State, d.BytesSent)
			}
		}
	}
	if srv != nil {
		// The server closes the recording when the publisher's
		// deleteStream or disconnect reaches it.
		select {
		case <-recorded:
		case <-time.After(2 * time.Second):
		}
		fmt.Fprintf(stderr, "counter: recorded %s; play it with: ffplay %s (or mpv, VLC)\n", o.out, o.out)
	}
	return nil
}

type closeNotifier struct {
	*os.File
	done chan struct{}
}

func (c *closeNotifier) Close() error {
	err := c.File.Close()
	close(c.done)
	return err
}

// status prints a progress line about once a second until stop closes.
// The first says which x264 encodes: the system's libx264, with its
// assembly, when there is a usable one, else the bundled C build, several
// times slower (GOLIVECAST_X264 overrides the choice).
func status(w io.Writer, pub *rtmpsrc.Publisher, line *statusLine, stop <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	first := true
	for {
		select {
		case <-t.C:
			st := pub.Stats()
			if first && st.BytesMuxed > 0 {
				// Once streaming: a failure before that stays one line.
				if lib, err := encode.X264Info(); err == nil {
					fmt.Fprintf(w, "counter: %v\n", lib)
				}
				first = false
			}
			line.print(w, st, false)
		case <-stop:
			return
		}
	}
}

// statusLine remembers the last count to show the current frame rate.
type statusLine struct {
	frames int64
	at     time.Time
}

func (l *statusLine) print(w io.Writer, st rtmpsrc.Stats, final bool) {
	if st.BytesMuxed == 0 {
		// Nothing streamed yet (still connecting, or failed before the
		// first packet): a line of zeros would only bury the error.
		return
	}
	now := time.Now()
	fps := 0.0
	if !l.at.IsZero() {
		fps = float64(st.Video.Muxed-l.frames) / now.Sub(l.at).Seconds()
	}
	l.frames, l.at = st.Video.Muxed, now
	// Drops and reconnections are each destination's; the line adds
	// them up, and gives the send delay of the destination furthest
	// behind: how late the server gets what is sent now.
	var drops, reconnects int64
	var delay time.Duration
	for _, d := range st.Destinations {
		drops += d.VideoDroppedTotal()
		reconnects += d.Reconnects
		delay = max(delay, d.SendDelay)
	}
	end := "\r"
	if final {
		end = "\n"
	}
	fmt.Fprintf(w, "time=%s fps=%4.1f bitrate=%6.0fkbit/s target=%dkbit/s delay=%4dms frames=%d repeated=%d skipframes=%d drops=%d silence=%v reconnects=%d%s",
		scene.FormatMediaTime(st.MediaTime), fps, st.Bitrate()/1000, st.Video.TargetBitrate/1000, delay.Milliseconds(), st.Video.Muxed, st.Video.Repeated, st.Video.SkipFrames, drops,
		st.Audio.SilenceInserted.Round(time.Millisecond), reconnects, end)
}

// urlList is the -url flag, which may be given more than once.
type urlList []string

func (l *urlList) String() string { return strings.Join(*l, " ") }

func (l *urlList) Set(s string) error {
	*l = append(*l, s)
	return nil
}

func (l urlList) destinations() []rtmpsrc.Destination {
	d := make([]rtmpsrc.Destination, len(l))
	for i, u := range l {
		d[i] = rtmpsrc.Destination{URL: u}
	}
	return d
}
