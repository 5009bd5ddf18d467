// Package rtmpsrc publishes a live H.264 + AAC stream over RTMP or RTMPS,
// and records it as FLV, from the images and PCM of capture sources.
//
// A Publisher owns the whole pipeline: one goroutine reads and encodes
// each source, one muxer orders the packets by decoding time across both
// tracks and is the only writer to the sinks. One media clock stamps both
// tracks: audio time comes from the count of samples, video time from the
// frame index (or the frame's own timestamp in timestamped mode), and both
// start at zero together.
package rtmpsrc

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
)

// Config describes a stream. The zero value is not useful on its own, but
// every field has a working default: set URL and/or Output, and a source.
type Config struct {
	// URL is where to publish: rtmp://host[:port]/app[/instance]/key or
	// rtmps://…. It defaults to none (record to Output only).
	URL string
	// Output receives the stream as an FLV file. With no URL the stream
	// runs as fast as the encoders; with a URL it is paced by the wall
	// clock and Output records what is sent. It defaults to none.
	Output io.Writer

	// Video is the picture source. It defaults to none (audio only).
	Video capture.VideoSource
	// Audio is the PCM source. It defaults to none (video only).
	Audio capture.AudioSource

	// VideoEncoder configures H.264: size, frame rate, preset, bitrate,
	// keyframe interval. Its zero value is 1280x720 at 30 fps; see
	// encode.H264Options.
	VideoEncoder encode.H264Options
	// AudioBitrate in bit/s. It defaults to 128000 (64000 for mono).
	AudioBitrate int
	// Timestamped takes each frame's PTS as its media time instead of
	// sampling the source once per frame interval. It defaults to false
	// (constant frame rate, which ingest servers want).
	Timestamped bool

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
	// WriteTimeout bounds each write to the server. It defaults to 10 s.
	WriteTimeout time.Duration
	// ChunkSize is the RTMP chunk size we send with. It defaults to 4096.
	ChunkSize int

	// MaxLatency bounds the media time waiting in the send queue when the
	// network is slower than the stream: past it, video frames are
	// dropped (never audio, keyframes or headers). It defaults to 700 ms.
	MaxLatency time.Duration
	// SendBuffer is the socket send buffer in bytes. Media waiting in the
	// kernel is invisible to MaxLatency, so it is kept small. It
	// defaults to 128 KiB.
	SendBuffer int
	// Reconnect says how a connection that drops mid-stream is
	// re-established. Its zero value reconnects with backoff.
	Reconnect ReconnectPolicy

	// End says when a stream with both sources is over. It defaults to
	// EndWithVideo: when the video source ends.
	End EndPolicy

	// StartTime is the media time of the first packet. It defaults to 0;
	// a stream that continues an earlier one can start later.
	StartTime time.Duration

	// Logger receives the publisher's log. It defaults to discarding.
	Logger *slog.Logger
}

const (
	defaultTimeout    = 10 * time.Second
	defaultChunkSize  = 4096
	defaultSendBuffer = 128 << 10
	encoderName       = "golivecast"
)

// Publisher runs one stream. Create it with New, run it with Run, stop it
// with Close or by cancelling Run's context.
type Publisher struct {
	cfg   Config
	url   *URL
	log   *slog.Logger
	stats stats

	// forceKey asks the video encoder for a keyframe (after a reconnect).
	forceKey atomic.Bool

	mu      sync.Mutex
	cancel  context.CancelFunc
	closed  bool
	running bool
	done    chan struct{}
}

// New checks the configuration. Nothing is opened until Run.
func New(cfg Config) (*Publisher, error) {
	p := &Publisher{cfg: cfg, log: cfg.Logger, done: make(chan struct{})}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if cfg.URL == "" && cfg.Output == nil {
		return nil, fmt.Errorf("%w: neither URL nor Output is set", ErrConfig)
	}
	if cfg.Video == nil && cfg.Audio == nil {
		return nil, fmt.Errorf("%w: no Video or Audio source", ErrConfig)
	}
	if cfg.URL != "" {
		u, err := ParseURL(cfg.URL)
		if err != nil {
			return nil, err
		}
		p.url = u
	}
	if cfg.Audio != nil {
		if err := cfg.Audio.Format().Validate(); err != nil {
			return nil, fmt.Errorf("%w: audio source: %w", ErrConfig, err)
		}
	}
	for _, d := range []time.Duration{cfg.DialTimeout, cfg.SetupTimeout, cfg.WriteTimeout, cfg.StartTime, cfg.MaxLatency,
		cfg.Reconnect.InitialDelay, cfg.Reconnect.MaxDelay} {
		if d < 0 {
			return nil, fmt.Errorf("%w: negative duration %v", ErrConfig, d)
		}
	}
	if cfg.End != EndWithVideo && cfg.End != EndWithBoth {
		return nil, fmt.Errorf("%w: unknown end policy %d", ErrConfig, cfg.End)
	}
	if cfg.SendBuffer < 0 {
		return nil, fmt.Errorf("%w: negative send buffer %d", ErrConfig, cfg.SendBuffer)
	}
	if cfg.ChunkSize < 0 || cfg.ChunkSize > 1<<20 {
		return nil, fmt.Errorf("%w: chunk size %d out of range (128–1048576)", ErrConfig, cfg.ChunkSize)
	}
	if cfg.ChunkSize > 0 && cfg.ChunkSize < 128 {
		return nil, fmt.Errorf("%w: chunk size %d out of range (128–1048576)", ErrConfig, cfg.ChunkSize)
	}
	return p, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// Stats returns a snapshot of the counters. It is safe to call at any
// time from any goroutine.
func (p *Publisher) Stats() Stats { return p.stats.snapshot() }

// Close stops a running stream (ending it with an unpublish when the
// connection allows) and waits until every goroutine of the publisher has
// returned. It is idempotent and safe from any goroutine.
func (p *Publisher) Close() error {
	p.mu.Lock()
	p.closed = true
	cancel, running := p.cancel, p.running
	p.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	if running {
		<-p.done
	}
	return nil
}

// Run connects, publishes and streams until the sources end (it then
// drains the encoders, unpublishes and returns nil), ctx is cancelled
// (ctx.Err()), Close is called (ErrClosed) or something fails. A
// refusal by the server is a *StatusError. Run can be called once.
func (p *Publisher) Run(ctx context.Context) (err error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	if p.running || p.cancel != nil {
		p.mu.Unlock()
		return fmt.Errorf("%w: Run called twice", ErrConfig)
	}
	ctx, cancel := context.WithCancel(ctx)
	p.cancel, p.running = cancel, true
	p.mu.Unlock()
	defer func() {
		cancel()
		p.mu.Lock()
		closed := p.closed
		p.running = false
		p.mu.Unlock()
		close(p.done)
		if closed && err != nil && ctx.Err() != nil {
			err = ErrClosed
		}
	}()
	return p.run(ctx)
}

// track is one encoded track on its way to the muxer.
type track struct {
	typ    byte // flvTagVideo or flvTagAudio
	ch     chan packet
	config []byte
	offset time.Duration // added to every timestamp, to align the tracks
}

type packet struct {
	typ        byte
	pts, dts   time.Duration
	key        bool
	disposable bool
	// body is the FLV tag body with its header bytes (5 for video, 2 for
	// audio) left for the muxer to fill: the payload is copied once.
	body []byte
}

func (p *Publisher) run(ctx context.Context) (err error) {
	cfg := &p.cfg
	var (
		h264  *encode.H264
		aac   *encode.AAC
		meta  = Metadata{Encoder: encoderName}
		sinks []sink
	)
	if cfg.Video != nil {
		opts := cfg.VideoEncoder
		opts.Timestamped = cfg.Timestamped
		if opts.Logger == nil {
			opts.Logger = p.log
		}
		if h264, err = encode.NewH264(opts); err != nil {
			return err
		}
		defer h264.Close()
		o := h264.Options()
		meta.HasVideo, meta.Width, meta.Height = true, o.Width, o.Height
		meta.FrameRate = o.FrameRate.Float()
		meta.VideoKbps = float64(o.Bitrate) / 1000
	}
	if cfg.Audio != nil {
		f := cfg.Audio.Format()
		if aac, err = encode.NewAAC(encode.AACOptions{SampleRate: f.SampleRate, Channels: f.Channels, Bitrate: cfg.AudioBitrate}); err != nil {
			return err
		}
		defer aac.Close()
		meta.HasAudio, meta.AudioSampleRate, meta.AudioChannels = true, f.SampleRate, f.Channels
		meta.AudioKbps = float64(aac.Options().Bitrate) / 1000
	}

	live := p.url != nil
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	if live {
		opts := dialOptions{
			tls:          cfg.TLSConfig,
			dialContext:  cfg.DialContext,
			dialTimeout:  orDefault(cfg.DialTimeout, defaultTimeout),
			setupTimeout: orDefault(cfg.SetupTimeout, defaultTimeout),
			writeTimeout: orDefault(cfg.WriteTimeout, defaultTimeout),
			chunkSize:    cfg.ChunkSize,
			sendBuffer:   cfg.SendBuffer,
			log:          p.log,
		}
		if opts.dialContext == nil {
			opts.dialContext = (&net.Dialer{}).DialContext
		}
		if opts.chunkSize == 0 {
			opts.chunkSize = defaultChunkSize
		}
		if opts.sendBuffer == 0 {
			opts.sendBuffer = defaultSendBuffer
		}
		c, err := dial(ctx, p.url, opts)
		if err != nil {
			return err
		}
		p.log.Info("rtmpsrc: publishing", "url", p.url.String())
		s := newRTMPSender(p, c, opts)
		s.start(pctx)
		sinks = append(sinks, s)
	}
	if cfg.Output != nil {
		sinks = append(sinks, newFLVSink(cfg.Output, aac != nil, h264 != nil))
	}
	graceful, drain := false, time.Duration(0)
	defer func() {
		// A sink that failed while the stream was ending (a lost
		// connection that could not be re-established) makes the end
		// unclean.
		for _, s := range sinks {
			if e := s.close(graceful, drain); e != nil && err == nil {
				err = e
			}
		}
	}()

	// Align the tracks: a decoder shows video Delay() late (B-frame
	// reordering) and plays audio PrimingSamples late; whichever is
	// later, the other track is pushed back to match.
	var vDelay, aDelay time.Duration
	if h264 != nil {
		vDelay = h264.Delay()
	}
	if aac != nil {
		aDelay = aac.Delay()
	}
	align := max(vDelay, aDelay)

	var wg sync.WaitGroup
	errc := make(chan error, 2)
	clock := &mediaClock{live: live, start: time.Now(), base: cfg.StartTime}
	p.stats.start.Store(clock.start.UnixNano())
	var tracks []*track
	var horizon *videoHorizon
	if h264 != nil {
		horizon = newVideoHorizon()
		// Room for half a second of pictures: the audio side waits for
		// the picture to go on (videoHorizon), and the muxer for audio.
		fr := h264.Options().FrameRate
		t := &track{typ: flvTagVideo, ch: make(chan packet, max(8, fr.Num/fr.Den/2+1)), config: h264.DecoderConfig(), offset: cfg.StartTime + align - vDelay}
		tracks = append(tracks, t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.runVideo(pctx, clock, h264, t, horizon); err != nil {
				errc <- err
			}
		}()
	}
	if aac != nil {
		t := &track{typ: flvTagAudio, ch: make(chan packet, 64), config: aac.DecoderConfig(), offset: cfg.StartTime + align - aDelay}
		tracks = append(tracks, t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.runAudio(pctx, clock, aac, t, horizon); err != nil {
				errc <- err
			}
		}()
	}
	err = p.mux(pctx, clock, meta, tracks, sinks, errc)
	stop()
	wg.Wait()
	if err == nil {
		// A source error that raced with the end of the mux.
		select {
		case err = <-errc:
		default:
		}
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	graceful = err == nil || errors.Is(err, context.Canceled)
	// A normal end sends everything; a cancelled stream must stop within
	// a couple of seconds whatever the network does.
	drain = orDefault(cfg.WriteTimeout, defaultTimeout)
	if err != nil {
		drain = 500 * time.Millisecond
	}
	if err == nil {
		p.log.Info("rtmpsrc: stream ended", "media_time", p.Stats().MediaTime)
	}
	return err
}

// mediaClock relates media time to the wall clock for live sinks.
type mediaClock struct {
	live  bool
	start time.Time
	base  time.Duration // media time at start
}

// wait sleeps until media time t is due; it returns at once for files.
func (c *mediaClock) wait(ctx context.Context, t time.Duration) error {
	if !c.live {
		return ctx.Err()
	}
	d := time.Until(c.start.Add(t - c.base))
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// at is the wall time when media time t is due.
func (c *mediaClock) at(t time.Duration) time.Time { return c.start.Add(t - c.base) }

// elapsed is the wall time since the start, as media time.
func (c *mediaClock) elapsed() time.Duration { return c.base + time.Since(c.start) }

// mux writes metadata and sequence headers, then the packets of every
// track in non-decreasing DTS order, paced for live sinks.
func (p *Publisher) mux(ctx context.Context, clock *mediaClock, meta Metadata, tracks []*track, sinks []sink, errc <-chan error) error {
	writeAll := func(t outTag, header bool) error {
		for _, s := range sinks {
			var err error
			if header {
				err = s.writeHeader(t)
			} else {
				err = s.writeTag(t)
			}
			if err != nil {
				return err
			}
		}
		p.stats.bytes.Add(int64(len(t.body)))
		return nil
	}
	for _, s := range sinks {
		if err := s.writeMetadata(meta); err != nil {
			return err
		}
	}
	base := millis(p.cfg.StartTime)
	for _, t := range tracks {
		h := outTag{typ: t.typ, ts: base, dts: p.cfg.StartTime, key: true}
		if t.typ == flvTagVideo {
			h.body = appendVideoTag(nil, true, 0, 0, t.config)
		} else {
			h.body = appendAudioTag(nil, true, t.config)
		}
		if err := writeAll(h, true); err != nil {
			return err
		}
	}

	heads := make([]packet, len(tracks))
	have := make([]bool, len(tracks))
	for {
		// Every open track must show its next packet before the earliest
		// can be chosen.
		for i, t := range tracks {
			for !have[i] && t.ch != nil {
				select {
				case pk, ok := <-t.ch:
					if !ok {
						t.ch = nil
						continue
					}
					pk.pts += t.offset
					pk.dts += t.offset
					heads[i], have[i] = pk, true
				case err := <-errc:
					return err
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
		next := -1
		for i := range heads {
			if have[i] && (next < 0 || heads[i].dts < heads[next].dts) {
				next = i
			}
		}
		if next < 0 {
			return nil // every track ended
		}
		pk := heads[next]
		heads[next], have[next] = packet{}, false
		if err := clock.wait(ctx, pk.dts); err != nil {
			return err
		}
		t := outTag{typ: pk.typ, ts: millis(pk.dts), dts: pk.dts, key: pk.key, disposable: pk.disposable}
		// Each tag has its own body: a live sink keeps it in its queue.
		if pk.typ == flvTagVideo {
			appendVideoTag(pk.body[:0], pk.key, 1, int32(millis(pk.pts)-t.ts), nil)
		} else {
			appendAudioTag(pk.body[:0], false, nil)
		}
		t.body = pk.body
		if err := writeAll(t, false); err != nil {
			return err
		}
		p.stats.mediaTime.Store(int64(pk.dts))
		if pk.typ == flvTagVideo {
			p.stats.framesOut.Add(1)
			p.stats.lastVideo.Store(int64(pk.dts))
			if pk.key {
				p.stats.keyframes.Add(1)
			}
		} else {
			p.stats.audioPackets.Add(1)
			p.stats.lastAudio.Store(int64(pk.dts))
		}
	}
}

// send hands encoded packets to the muxer, copying what the encoder will
// reuse.
func send(ctx context.Context, t *track, typ byte, pkts []encode.Packet) error {
	for _, e := range pkts {
		hdr := 2
		if typ == flvTagVideo {
			hdr = 5
		}
		body := make([]byte, hdr+len(e.Data))
		copy(body[hdr:], e.Data)
		pk := packet{typ: typ, pts: e.PTS, dts: e.DTS, key: e.Keyframe, disposable: e.Disposable, body: body}
		select {
		case t.ch <- pk:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
