// Package gortmptest provides an independent RTMP receiver for tests, built on
// github.com/bluenviron/gortmplib (MediaMTX's RTMP stack). It accepts exactly
// one publisher on a loopback port and records what gortmplib decoded from
// its H.264 and AAC (MPEG-4 audio) tracks.
//
// gortmplib's Reader studies the first 2 s of media before it hands over
// any: a publish shorter than that delivers nothing (ErrTooShort).
package gortmptest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/gortmplib/pkg/amf0"
	"github.com/bluenviron/gortmplib/pkg/codecs"
	"github.com/bluenviron/gortmplib/pkg/message"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
)

// Sentinel errors stored in Result.Err.
var (
	ErrDeadline = errors.New("gortmptest: deadline exceeded")
	ErrClosed   = errors.New("gortmptest: receiver closed before publisher finished")
	// ErrTooShort: the publisher left before gortmplib's Reader.Initialize
	// had seen 2 s of media (its track-analysis period), so no AU was delivered.
	ErrTooShort = errors.New("gortmptest: stream ended before 2 s of media (gortmplib track analysis)")
)

// Options configures a Receiver. Zero values select the defaults.
type Options struct {
	Deadline    time.Duration // whole session, from Start (default 30s)
	IdleTimeout time.Duration // max wait for any single RTMP message (default 10s)
}

// VideoAU is one H.264 access unit as delivered by Reader.OnDataH264.
type VideoAU struct {
	PTS, DTS time.Duration
	Key      bool // AU contains an IDR NALU
	FLVKey   bool // FLV frame type on the wire was 1 (keyframe)
	NALUs    int
	Size     int // sum of NALU sizes
}

// AudioAU is one AAC access unit as delivered by Reader.OnDataMPEG4Audio.
type AudioAU struct {
	PTS  time.Duration
	Size int
}

// Result is a snapshot of what the receiver has seen.
type Result struct {
	URL         string // tcUrl + "/" + publish name, e.g. rtmp://127.0.0.1:1234/live/test
	App         string // URL path without the last segment (heuristic split)
	StreamKey   string // last URL path segment (+ "?query" if any)
	FlashVer    string
	Metadata    map[string]any // onMetaData / @setDataFrame properties, if sent
	Commands    []string       // AMF0 commands seen after "publish" (FCUnpublish, deleteStream, ...)
	Unpublished bool           // deleteStream received (clean unpublish), vs. plain TCP close

	HasVideo     bool
	SPS, PPS     []byte // from the first AVC sequence header (track detection)
	VideoConfigs int    // AVC sequence headers received (including the first)
	Video        []VideoAU
	Keyframes    int

	HasAudio     bool
	AudioConfig  *mpeg4audio.AudioSpecificConfig
	AudioConfigB []byte // AudioConfig re-marshaled
	AudioConfigs int    // AAC sequence headers received (including the first)
	Audio        []AudioAU

	BytesReceived uint64
	Finished      bool  // session ended (disconnect, deleteStream, error, deadline or Close)
	Err           error // nil when the publisher ended cleanly (EOF or deleteStream)
}

// Receiver is a one-shot RTMP server for a single publisher.
type Receiver struct {
	opts Options
	ln   net.Listener
	done chan struct{}
	wg   sync.WaitGroup

	closeOnce sync.Once

	mu         sync.Mutex
	conn       net.Conn
	stopReason error
	res        Result
	flvKeys    []flvKey // wire keyframe flags waiting for their OnDataH264 callback
	deleteSeen bool
}

type flvKey struct {
	dts time.Duration
	key bool
}

// Start listens on 127.0.0.1:0 and serves the first connection in the background.
func Start(opts Options) (*Receiver, error) {
	if opts.Deadline <= 0 {
		opts.Deadline = 30 * time.Second
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 10 * time.Second
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Receiver{opts: opts, ln: ln, done: make(chan struct{})}

	r.wg.Add(2)
	go r.run()
	go r.watch()
	return r, nil
}

// Addr returns host:port of the listener.
func (r *Receiver) Addr() string { return r.ln.Addr().String() }

// URL returns rtmp://host:port/app/key.
func (r *Receiver) URL(app, key string) string {
	return "rtmp://" + r.Addr() + "/" + app + "/" + key
}

// Done is closed when the session has ended for any reason.
func (r *Receiver) Done() <-chan struct{} { return r.done }

// Wait blocks until the session ends or d elapses, then returns a snapshot.
func (r *Receiver) Wait(d time.Duration) Result {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.done:
	case <-t.C:
	}
	return r.Result()
}

// Result returns a deep-enough copy of the current state.
func (r *Receiver) Result() Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := r.res
	res.Commands = append([]string(nil), r.res.Commands...)
	res.Video = append([]VideoAU(nil), r.res.Video...)
	res.Audio = append([]AudioAU(nil), r.res.Audio...)
	res.SPS = append([]byte(nil), r.res.SPS...)
	res.PPS = append([]byte(nil), r.res.PPS...)
	res.AudioConfigB = append([]byte(nil), r.res.AudioConfigB...)
	return res
}

// accepted reports whether the receiver has accepted its one connection.
func (r *Receiver) accepted() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.conn != nil
}

// Close stops the receiver and waits for its goroutines. It is idempotent.
func (r *Receiver) Close() error {
	r.closeOnce.Do(func() {
		r.stop(ErrClosed)
		r.wg.Wait()
	})
	return nil
}

// stop records the first stop reason and unblocks Accept/Read.
func (r *Receiver) stop(reason error) {
	r.mu.Lock()
	if r.stopReason == nil && !r.res.Finished {
		r.stopReason = reason
	}
	c := r.conn
	r.mu.Unlock()
	r.ln.Close()
	if c != nil {
		c.Close()
	}
}

func (r *Receiver) watch() {
	defer r.wg.Done()
	t := time.NewTimer(r.opts.Deadline)
	defer t.Stop()
	select {
	case <-t.C:
		r.stop(ErrDeadline)
	case <-r.done:
	}
}

func (r *Receiver) run() {
	defer r.wg.Done()
	err := r.serve()

	r.mu.Lock()
	switch {
	case r.stopReason != nil:
		err = r.stopReason
	case errors.Is(err, io.EOF):
		err = nil
	}
	r.res.Err = err
	r.res.Finished = true
	c := r.conn
	r.mu.Unlock()

	if c != nil {
		c.Close()
	}
	close(r.done)
}

func (r *Receiver) serve() error {
	conn, err := r.ln.Accept()
	r.ln.Close() // one publisher only
	if err != nil {
		return fmt.Errorf("accept: %w", err)
	}
	r.mu.Lock()
	r.conn = conn
	stopped := r.stopReason != nil
	r.mu.Unlock()
	if stopped {
		return nil // run() substitutes stopReason
	}

	conn.SetReadDeadline(time.Now().Add(r.opts.IdleTimeout))
	sc := &gortmplib.ServerConn{RW: conn}
	if err := sc.Initialize(); err != nil { // handshake + "connect"
		return fmt.Errorf("handshake/connect: %w", err)
	}
	if err := sc.AcceptConn(); err != nil { // replies to connect, createStream; stops at publish/play
		return fmt.Errorf("accept conn: %w", err)
	}
	if !sc.Publish {
		return fmt.Errorf("client sent play, not publish (%v)", sc.URL)
	}
	r.setURL(sc)
	// Must be called explicitly because Reader gets a wrapper, not *ServerConn.
	if err := sc.AcceptAction(); err != nil { // onStatus NetStream.Publish.Start
		return fmt.Errorf("accept publish: %w", err)
	}

	rd := &gortmplib.Reader{Conn: &tapConn{sc: sc, nc: conn, r: r}}
	if err := rd.Initialize(); err != nil { // reads >= 2s of media to find tracks
		if errors.Is(err, io.EOF) {
			// Must not look like a clean end: nothing was delivered.
			return fmt.Errorf("%w: %v", ErrTooShort, err)
		}
		return fmt.Errorf("reader init: %w", err)
	}
	if err := r.setupTracks(rd); err != nil {
		return err
	}

	for {
		if err := rd.Read(); err != nil {
			return err
		}
		r.mu.Lock()
		r.res.BytesReceived = sc.BytesReceived()
		del := r.deleteSeen
		r.mu.Unlock()
		if del {
			return nil
		}
	}
}

func (r *Receiver) setURL(sc *gortmplib.ServerConn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.FlashVer = sc.FlashVer
	if sc.URL == nil {
		return
	}
	r.res.URL = sc.URL.String()
	p := strings.Trim(sc.URL.Path, "/")
	if i := strings.LastIndex(p, "/"); i >= 0 {
		r.res.App, r.res.StreamKey = p[:i], p[i+1:]
	} else {
		r.res.App = p
	}
	if sc.URL.RawQuery != "" {
		r.res.StreamKey += "?" + sc.URL.RawQuery
	}
}

func (r *Receiver) setupTracks(rd *gortmplib.Reader) error {
	// Every track returned by Tracks() MUST get a callback: Reader.Read calls
	// the registered func without a nil check.
	for _, tr := range rd.Tracks() {
		switch c := tr.Codec.(type) {
		case *codecs.H264:
			r.mu.Lock()
			r.res.HasVideo = true
			r.res.SPS, r.res.PPS = c.SPS, c.PPS
			r.mu.Unlock()
			rd.OnDataH264(tr, r.onH264)

		case *codecs.MPEG4Audio:
			r.mu.Lock()
			r.res.HasAudio = true
			r.res.AudioConfig = c.Config
			if c.Config != nil {
				r.res.AudioConfigB, _ = c.Config.Marshal()
			}
			r.mu.Unlock()
			rd.OnDataMPEG4Audio(tr, r.onAAC)

		default:
			return fmt.Errorf("unsupported track codec %T", tr.Codec)
		}
	}
	return nil
}

func onlyParamSets(au [][]byte) bool {
	for _, n := range au {
		switch h264.NALUType(n[0] & 0x1f) {
		case h264.NALUTypeSPS, h264.NALUTypePPS:
		default:
			return false
		}
	}
	return true
}

func (r *Receiver) onH264(pts, dts time.Duration, au [][]byte) {
	// OnDataH264 also fires for every AVC sequence header with au = {SPS, PPS};
	// that is not a frame.
	if onlyParamSets(au) {
		return
	}
	size := 0
	for _, n := range au {
		size += len(n)
	}
	key := h264.IsRandomAccess(au)

	r.mu.Lock()
	defer r.mu.Unlock()
	fk := false
	for len(r.flvKeys) > 0 {
		e := r.flvKeys[0]
		r.flvKeys = r.flvKeys[1:]
		if e.dts == dts {
			fk = e.key
			break
		}
	}
	r.res.Video = append(r.res.Video, VideoAU{PTS: pts, DTS: dts, Key: key, FLVKey: fk, NALUs: len(au), Size: size})
	if key {
		r.res.Keyframes++
	}
}

func (r *Receiver) onAAC(pts time.Duration, au []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Audio = append(r.res.Audio, AudioAU{PTS: pts, Size: len(au)})
}

// observe sees every message exactly once, in wire order, before Reader does.
func (r *Receiver) observe(m message.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch m := m.(type) {
	case *message.DataAMF0:
		for i, v := range m.Payload {
			if s, ok := v.(string); ok && s == "onMetaData" && i+1 < len(m.Payload) {
				r.res.Metadata = amfToMap(m.Payload[i+1])
			}
		}
	case *message.CommandAMF0:
		r.res.Commands = append(r.res.Commands, m.Name)
		if m.Name == "deleteStream" {
			r.deleteSeen = true
			r.res.Unpublished = true
		}
	case *message.Video:
		switch m.Type {
		case message.VideoTypeConfig:
			r.res.VideoConfigs++
		case message.VideoTypeAU:
			r.flvKeys = append(r.flvKeys, flvKey{dts: m.DTS, key: m.IsKeyFrame})
		}
	case *message.Audio:
		if m.Codec == message.CodecMPEG4Audio && m.AACType == message.AudioAACTypeConfig {
			r.res.AudioConfigs++
		}
	}
}

func amfToMap(v any) map[string]any {
	var o amf0.Object
	switch t := v.(type) {
	case amf0.Object:
		o = t
	case amf0.ECMAArray:
		o = amf0.Object(t)
	default:
		return nil
	}
	out := make(map[string]any, len(o))
	for _, e := range o {
		out[e.Key] = e.Value
	}
	return out
}

// tapConn implements gortmplib.Conn around a *ServerConn so that every
// message can be observed and every read gets an idle deadline.
type tapConn struct {
	sc *gortmplib.ServerConn
	nc net.Conn
	r  *Receiver
}

func (t *tapConn) BytesReceived() uint64         { return t.sc.BytesReceived() }
func (t *tapConn) BytesSent() uint64             { return t.sc.BytesSent() }
func (t *tapConn) Write(m message.Message) error { return t.sc.Write(m) }

func (t *tapConn) Read() (message.Message, error) {
	t.nc.SetReadDeadline(time.Now().Add(t.r.opts.IdleTimeout))
	m, err := t.sc.Read()
	if err != nil {
		return nil, err
	}
	t.r.observe(m)
	return m, nil
}
