// This example shows how to:
//  1. stream from a program that owns its loop, as a game does: a ball
//     bouncing in a box, updated 45 to 75 times a second at random (not
//     at the stream's frame rate), pushing each picture with
//     capture.VideoPush; the publisher samples the newest picture at each
//     frame tick, so the stream keeps a constant frame rate;
//  2. make the sound in the same loop and push it with capture.AudioPush,
//     exactly as much PCM per update as the update advanced the game: a
//     short sound at the moment the ball hits a wall (which flashes),
//     silence otherwise, so sound and picture stay together;
//  3. end on Ctrl+C with rtmpsrc.Publisher.Shutdown, which unpublishes
//     cleanly, and with no -url, record the stream through an RTMP server
//     run in-process on loopback, so the example needs nothing else.
//
// Run it:
//
//	go run ./examples/game                                  # records game.flv
//	go run ./examples/game -url rtmp://localhost/live/game  # to your server
//	go run ./examples/game -duration 10s -rate 20-30        # a slow game
//
// It needs no system package beyond gcc, which cgo uses to build the
// bundled x264 and AAC encoder.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"strconv"
	"strings"
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
	url              string
	out              string
	duration         time.Duration
	fps              int
	width, height    int
	minRate, maxRate int // game updates per second
	preset           string
	bitrate          int
	verbose          bool
}

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "game:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("game", flag.ContinueOnError)
	fs.SetOutput(stderr)
	size, rate := "1280x720", "45-75"
	fs.StringVar(&o.url, "url", "", "publish to this rtmp:// or rtmps:// URL (default: an in-process server recording to -out)")
	fs.StringVar(&o.out, "out", "game.flv", "where the in-process server records the stream")
	fs.DurationVar(&o.duration, "duration", 0, "how long to play (0: until interrupted)")
	fs.IntVar(&o.fps, "fps", 30, "frames per second of the stream")
	fs.StringVar(&size, "size", size, "picture size WIDTHxHEIGHT (even numbers)")
	fs.StringVar(&rate, "rate", rate, "game updates per second, MIN-MAX: each update comes after a random interval in that range")
	fs.StringVar(&o.preset, "preset", "veryfast", "x264 preset (ultrafast … veryslow)")
	fs.IntVar(&o.bitrate, "bitrate", 2500, "video bitrate in kbit/s")
	fs.BoolVar(&o.verbose, "v", false, "log what the publisher does")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var ok bool
	if o.width, o.height, ok = pair(size, "x"); !ok {
		return nil, fmt.Errorf("-size %q: want WIDTHxHEIGHT, such as 1280x720", size)
	}
	if o.width%2 != 0 || o.height%2 != 0 {
		return nil, fmt.Errorf("-size %dx%d: width and height must be even (H.264 4:2:0)", o.width, o.height)
	}
	if o.width < 64 || o.height < 64 {
		return nil, fmt.Errorf("-size %dx%d is too small to play in (at least 64x64)", o.width, o.height)
	}
	if o.minRate, o.maxRate, ok = pair(rate, "-"); !ok || o.minRate < 1 || o.minRate > o.maxRate || o.maxRate > 1000 {
		return nil, fmt.Errorf("-rate %q: want MIN-MAX updates per second, such as 45-75, from 1 to 1000", rate)
	}
	if o.fps < 1 || o.fps > 120 {
		return nil, fmt.Errorf("-fps %d: want 1 to 120", o.fps)
	}
	if o.duration < 0 {
		return nil, fmt.Errorf("-duration %v is negative", o.duration)
	}
	return o, nil
}

// pair parses two positive numbers separated by sep.
func pair(s, sep string) (int, int, bool) {
	a, b, ok := strings.Cut(s, sep)
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	return x, y, ok && err1 == nil && err2 == nil && x > 0 && y > 0
}

func run(args []string, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
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
		url = srv.URL("live", "game")
		fmt.Fprintf(stderr, "game: in-process RTMP server on %s, recording to %s\n", srv.Addr(), o.out)
	}

	format := capture.AudioFormat{SampleRate: 44100, Channels: 2}
	video := capture.NewVideoPush()
	audio, err := capture.NewAudioPush(format, 0)
	if err != nil {
		return err
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

	// The game runs on its own goroutine, as a game's main loop would,
	// until -duration is over or the stream ends.
	var c counters
	var gameErr error
	stopGame, gameOver := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(gameOver)
		gameErr = play(newGame(o.width, o.height, format), o, pub, stopGame, video, audio, &c)
	}()

	// When the game is over, or on Ctrl+C, the stream ends now, cleanly:
	// the picture stops at the current frame and the sound with it, the
	// encoders are flushed, what is queued is sent, and the server sees
	// an unpublish.
	runDone := make(chan struct{})
	shutdown := make(chan error, 1)
	go func() {
		select {
		case <-signalled.Done():
		case <-gameOver:
		case <-runDone:
			shutdown <- nil
			return
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
		status(stderr, pub, video, &c, &line, statusStop)
	}()

	err = pub.Run(context.Background())
	close(runDone)
	close(statusStop)
	close(stopGame)
	<-statusDone
	<-gameOver
	if serr := <-shutdown; err == nil {
		err = serr
	}
	if err == nil {
		err = gameErr
	}
	if err != nil {
		return err
	}
	line.print(stderr, pub.Stats(), video.Stats(), &c, true)
	if srv != nil {
		// The server closes the recording when the publisher's
		// deleteStream reaches it.
		select {
		case <-recorded:
		case <-time.After(2 * time.Second):
		}
		fmt.Fprintf(stderr, "game: recorded %s; play it with: ffplay %s (or mpv, VLC)\n", o.out, o.out)
	}
	return nil
}

// counters are what the game loop tells the status line.
type counters struct {
	updates, hits, overflows atomic.Int64
}

// play is the game's main loop. It owns its clock: each update steps the
// game to the time elapsed since the stream started, pushes the picture
// and pushes the sound of exactly that stretch of game time. The updates
// come at an irregular rate, unrelated to the stream's frame rate.
func play(g *game, o *options, pub *rtmpsrc.Publisher, stop <-chan struct{}, video *capture.VideoPush, audio *capture.AudioPush, c *counters) error {
	// The game's clock is the stream's: game time t is media time t, so
	// the picture and the sound of one moment are stamped alike.
	select {
	case <-pub.Started():
	case <-stop:
		return nil
	}
	start := pub.StartedAt()
	minGap, maxGap := time.Second/time.Duration(o.maxRate), time.Second/time.Duration(o.minRate)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		now := time.Since(start)
		last := o.duration > 0 && now >= o.duration
		if last {
			now = o.duration
		}
		g.step(now)
		// The game draws into the same image every update, so the push
		// takes a copy.
		if err := video.WriteVideoCopy(capture.Frame{Image: g.draw()}); err != nil {
			return err
		}
		// Audio is never dropped by the push: a write that would queue
		// more than its limit (2 s) is refused. That happens only if the
		// publisher stalls; the game goes on, and the stream has a gap
		// in its sound instead of sound that lags the picture for good.
		if err := audio.WriteAudio(g.audio()); errors.Is(err, capture.ErrAudioOverflow) {
			c.overflows.Add(1)
		} else if err != nil {
			return err
		}
		c.updates.Add(1)
		c.hits.Store(int64(g.hits))
		if last {
			return nil
		}
		wait := minGap + rand.N(maxGap-minGap+1)
		if o.duration > 0 {
			// The last update comes when the game is over, not after.
			wait = min(wait, o.duration-time.Since(start))
		}
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-stop:
			return nil
		}
	}
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
func status(w io.Writer, pub *rtmpsrc.Publisher, video *capture.VideoPush, c *counters, line *statusLine, stop <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			line.print(w, pub.Stats(), video.Stats(), c, false)
		case <-stop:
			return
		}
	}
}

// statusLine remembers the last counts to show the current rates.
type statusLine struct {
	frames, updates int64
	at              time.Time
}

// print shows the stream's frame rate next to the game's update rate:
// the first is steady, the second is not, and the push absorbs the
// difference (superseded pictures, or repeated ones for a slow game).
func (l *statusLine) print(w io.Writer, st rtmpsrc.Stats, vs capture.VideoPushStats, c *counters, final bool) {
	if st.BytesMuxed == 0 {
		return // still connecting: a line of zeros would only bury an error
	}
	now := time.Now()
	updates := c.updates.Load()
	fps, ups := 0.0, 0.0
	end := "\r"
	switch {
	case final: // the averages over the whole stream
		if s := st.MediaTime.Seconds(); s > 0 {
			fps, ups = float64(st.Video.Muxed)/s, float64(updates)/s
		}
		end = "\n"
	case !l.at.IsZero():
		s := now.Sub(l.at).Seconds()
		fps, ups = float64(st.Video.Muxed-l.frames)/s, float64(updates-l.updates)/s
	}
	l.frames, l.updates, l.at = st.Video.Muxed, updates, now
	fmt.Fprintf(w, "time=%s fps=%4.1f updates/s=%4.1f updates=%d bounces=%d frames=%d superseded=%d repeated=%d bitrate=%5.0fkbit/s audio-overflows=%d%s",
		mediaTime(st.MediaTime), fps, ups, updates, c.hits.Load(), st.Video.Muxed, vs.Superseded, st.Video.Repeated,
		st.Bitrate()/1000, c.overflows.Load(), end)
}

// mediaTime writes a media time as hh:mm:ss.mmm.
func mediaTime(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d:%06.3f", d/time.Hour, d%time.Hour/time.Minute, (d % time.Minute).Seconds())
}
