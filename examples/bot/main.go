// This example shows how to:
//  1. stream from a program that draws only when something happens, as a
//     chat bot does: each message that arrives becomes a card (text drawn
//     with golang.org/x/image/font, and an avatar), pushed once with
//     capture.VideoPush; in between the program is idle, and the
//     publisher repeats the last picture at a constant frame rate, as
//     skip frames of a few bytes that cost almost no CPU (skipframes=
//     on the status line);
//  2. make the sound on demand with an audio source of your own: silence,
//     with a short chime that starts at the moment each card is shown
//     (or capture.Silence, with -chime=false);
//  3. take events from a channel fed by stdin (type "name: message" and
//     press Enter) or by a script of timed messages (-script), and end on
//     Ctrl+C with rtmpsrc.Publisher.Shutdown, which unpublishes cleanly.
//
// Run it:
//
//	go run ./examples/bot                                  # records bot.flv; type messages
//	go run ./examples/bot -url rtmp://localhost/live/bot   # to your server
//	go run ./examples/bot -script chat.txt -duration 10s   # lines like "1.5 alice: hello"
//
// With no -url it records through an RTMP server run in-process on
// loopback, so it needs nothing else: no system package beyond gcc, which
// cgo uses to build the bundled x264 and AAC encoder.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/rtmpsrc"
	"github.com/golivecast/golivecast/rtmptest"
)

// shutdownTimeout bounds the clean end after Ctrl+C: flushing the
// encoders, sending what is queued and unpublishing.
const shutdownTimeout = 5 * time.Second

type options struct {
	url           string
	out           string
	duration      time.Duration
	fps           int
	width, height int
	script        string
	chime         bool
	preset        string
	bitrate       int
	verbose       bool
}

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bot:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("bot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	size := "1280x720"
	fs.StringVar(&o.url, "url", "", "publish to this rtmp:// or rtmps:// URL (default: an in-process server recording to -out)")
	fs.StringVar(&o.out, "out", "bot.flv", "where the in-process server records the stream")
	fs.DurationVar(&o.duration, "duration", 0, "how long to stream (0: until interrupted)")
	fs.IntVar(&o.fps, "fps", 30, "frames per second")
	fs.StringVar(&size, "size", size, "picture size WIDTHxHEIGHT (even numbers)")
	fs.StringVar(&o.script, "script", "", "read messages from this file, one a line: SECONDS after the start, then \"name: message\" (default: from stdin, as they come)")
	fs.BoolVar(&o.chime, "chime", true, "ring a chime with each card (otherwise: silence)")
	fs.StringVar(&o.preset, "preset", "veryfast", "x264 preset (ultrafast … veryslow)")
	fs.IntVar(&o.bitrate, "bitrate", 1500, "video bitrate in kbit/s")
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
	if o.width%2 != 0 || o.height%2 != 0 {
		return nil, fmt.Errorf("-size %dx%d: width and height must be even (H.264 4:2:0)", o.width, o.height)
	}
	if o.width < 160 || o.height < 120 {
		return nil, fmt.Errorf("-size %dx%d is too small for a card (at least 160x120)", o.width, o.height)
	}
	if o.fps < 1 || o.fps > 120 {
		return nil, fmt.Errorf("-fps %d: want 1 to 120", o.fps)
	}
	if o.duration < 0 {
		return nil, fmt.Errorf("-duration %v is negative", o.duration)
	}
	return o, nil
}

func run(args []string, stdin io.Reader, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	var script []scripted
	if o.script != "" {
		if script, err = readScript(o.script); err != nil {
			return err
		}
	}
	pictures, err := newCards(o.width, o.height)
	if err != nil {
		return err
	}

	signalled, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, a second one kills the program at once.
	go func() {
		<-signalled.Done()
		stop()
	}()

	logger := slog.New(slog.DiscardHandler)
	if o.verbose {
		logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}

	url := o.url
	var srv *rtmptest.Server
	recorded := make(chan struct{})
	if url == "" {
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
		url = srv.URL("live", "bot")
		fmt.Fprintf(stderr, "bot: in-process RTMP server on %s, recording to %s\n", srv.Addr(), o.out)
	}

	// The first picture must be there when the stream starts: the
	// publisher waits for it, then repeats the newest picture at every
	// frame tick until the next one comes.
	video := capture.NewVideoPush()
	hint := "waiting for chat: type “name: message” and press Enter"
	if script != nil {
		hint = "waiting for chat"
	}
	if err := video.WriteVideo(capture.Frame{Image: pictures.waiting(hint)}); err != nil {
		return err
	}
	format := capture.AudioFormat{SampleRate: 44100, Channels: 2}
	var audio capture.AudioSource = capture.Silence(format)
	var bell *chimes
	if o.chime {
		bell = newChimes(format)
		audio = bell
	}
	pub, err := rtmpsrc.New(rtmpsrc.Config{
		URL:   url,
		Video: video,
		Audio: audio,
		VideoEncoder: encode.H264Options{
			Width: o.width, Height: o.height,
			FrameRate: encode.Rational{Num: o.fps, Den: 1},
			Preset:    o.preset,
			Bitrate:   o.bitrate * encode.Kbps,
		},
		Logger: logger,
	})
	if err != nil {
		return err
	}
	defer pub.Close()

	// Events arrive on a channel, from the script or from stdin; the bot
	// draws a card for each, and is idle in between. The script's clock
	// starts with the stream's media time (Started), once connected.
	started := pub.Started()
	events := make(chan event)
	stopBot := make(chan struct{})
	var wg sync.WaitGroup
	if script != nil {
		wg.Go(func() {
			select {
			case <-started:
				play(script, pub.StartedAt(), events, stopBot)
			case <-stopBot:
			}
		})
	} else {
		wg.Go(func() {
			select {
			case <-started:
				fmt.Fprintln(stderr, "bot: live; type a message (name: text) and press Enter to show it")
			case <-stopBot:
			}
		})
		// Not waited for: a read from a terminal cannot be interrupted.
		go readLines(stdin, events, stopBot)
	}
	var shown atomic.Int64
	wg.Go(func() {
		for {
			select {
			case e := <-events:
				n := int(shown.Add(1))
				// A new picture for each card, handed over without a copy.
				if video.WriteVideo(capture.Frame{Image: pictures.card(n, e)}) == nil && bell != nil {
					bell.ring()
				}
			case <-stopBot:
				return
			}
		}
	})

	// The stream ends now, cleanly, after -duration or on Ctrl+C: the
	// picture stops at the current frame and the sound with it, the
	// encoders are flushed, what is queued is sent, and the server sees
	// an unpublish.
	runDone := make(chan struct{})
	shutdown := make(chan error, 1)
	go func() {
		var begin <-chan struct{} // -duration counts from the start
		if o.duration > 0 {
			begin = started
		}
		var over <-chan time.Time
	wait:
		for {
			select {
			case <-begin:
				begin, over = nil, time.After(o.duration)
			case <-signalled.Done():
				break wait
			case <-over:
				break wait
			case <-runDone:
				shutdown <- nil
				return
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if err := pub.Shutdown(ctx); err != nil {
			shutdown <- fmt.Errorf("no clean end within %v: %w", shutdownTimeout, err)
			return
		}
		shutdown <- nil
	}()

	var line statusLine
	statusStop, statusDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(statusDone)
		status(stderr, pub, &shown, &line, statusStop)
	}()

	err = pub.Run(context.Background())
	close(runDone)
	close(statusStop)
	close(stopBot)
	<-statusDone
	wg.Wait()
	if serr := <-shutdown; err == nil {
		err = serr
	}
	if err != nil {
		return err
	}
	line.print(stderr, pub.Stats(), &shown, true)
	if srv != nil {
		// The server closes the recording when the publisher's
		// deleteStream reaches it.
		select {
		case <-recorded:
		case <-time.After(2 * time.Second):
		}
		fmt.Fprintf(stderr, "bot: recorded %s; play it with: ffplay %s (or mpv, VLC)\n", o.out, o.out)
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
func status(w io.Writer, pub *rtmpsrc.Publisher, shown *atomic.Int64, line *statusLine, stop <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			line.print(w, pub.Stats(), shown, false)
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

// print shows how few pictures the bot draws (cards) against the frames
// streamed, most of them repeats of the last picture, sent as skip
// frames.
func (l *statusLine) print(w io.Writer, st rtmpsrc.Stats, shown *atomic.Int64, final bool) {
	if st.BytesMuxed == 0 {
		return // still connecting: a line of zeros would only bury an error
	}
	now := time.Now()
	fps := 0.0
	end := "\r"
	switch {
	case final: // the average over the whole stream
		if s := st.MediaTime.Seconds(); s > 0 {
			fps = float64(st.Video.Muxed) / s
		}
		end = "\n"
	case !l.at.IsZero():
		fps = float64(st.Video.Muxed-l.frames) / now.Sub(l.at).Seconds()
	}
	l.frames, l.at = st.Video.Muxed, now
	fmt.Fprintf(w, "time=%s fps=%4.1f cards=%d frames=%d repeated=%d skipframes=%d bitrate=%5.0fkbit/s%s",
		mediaTime(st.MediaTime), fps, shown.Load(), st.Video.Muxed, st.Video.Repeated, st.Video.SkipFrames, st.Bitrate()/1000, end)
}

// mediaTime writes a media time as hh:mm:ss.mmm.
func mediaTime(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d:%06.3f", d/time.Hour, d%time.Hour/time.Minute, (d % time.Minute).Seconds())
}
