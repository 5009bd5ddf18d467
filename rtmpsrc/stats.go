package rtmpsrc

import (
	"sync"
	"sync/atomic"
	"time"
)

// Stats is a snapshot of a publisher's counters. Video and Audio say what
// the stream took from its sources, encoded and muxed: once, whatever the
// number of destinations. Each of Destinations says what one server was
// sent, what it missed and how far behind it is.
type Stats struct {
	// MediaTime is the timestamp of the last packet muxed.
	MediaTime time.Duration
	// BytesMuxed counts the payload bytes of the audio and video tags
	// muxed: what each destination is offered.
	BytesMuxed int64
	// Video counts the pictures; it is zero without a video source.
	Video VideoStats
	// Audio counts the sound; it is zero without an audio source.
	Audio AudioStats
	// Destinations holds each destination's counters, in the order of
	// Config.Destinations (Config.URL first).
	Destinations []DestinationStats
}

// Bitrate is the average bitrate of what was muxed, BytesMuxed over
// MediaTime, in bit/s.
func (s Stats) Bitrate() float64 {
	if s.MediaTime <= 0 {
		return 0
	}
	return float64(s.BytesMuxed*8) / s.MediaTime.Seconds()
}

// VideoStats count the stream's pictures, before any destination.
type VideoStats struct {
	// Taken counts pictures taken from the video source.
	Taken int64
	// Repeated counts frame ticks where the source had nothing new in
	// time and the last picture was sent again.
	Repeated int64
	// SkipFrames counts repeated pictures sent as skip frames: a few
	// bytes, before any CBR filler, written by golivecast instead of an
	// x264 encode (see encode.H264.Repeat). The repeats are those of
	// Repeated and the frames a source marked capture.Frame.Unchanged;
	// those that fall on a keyframe are sent as one (x264's last IDR
	// picture again, or a new one), and all of them go to x264 on streams
	// that cannot take skip frames (encode.H264.SkipFrames).
	SkipFrames int64
	// OutOfOrder counts timestamped pictures dropped because they did
	// not come after the previous one.
	OutOfOrder int64
	// Muxed counts the video frames muxed and offered to the
	// destinations.
	Muxed int64
	// Keyframes counts the IDR frames among them.
	Keyframes int64
	// TargetBitrate is the video encoder's target bitrate in force, in
	// bit/s: VideoEncoder.Bitrate, or what DynamicBitrate set it to. It
	// is 0 in CRF mode.
	TargetBitrate int64
}

// AudioStats count the stream's sound, before any destination.
type AudioStats struct {
	// Muxed counts the AAC frames muxed and offered to the destinations.
	Muxed int64
	// SilenceInserted is the audio filled with silence because the audio
	// source was late.
	SilenceInserted time.Duration
}

// DropReason says why a destination did not send a video frame.
type DropReason string

// The reasons a destination drops video frames, in
// DestinationStats.VideoDropped.
const (
	// DropCongestion: a frame no other frame references, dropped because
	// the send queue held more than MaxLatency of media.
	DropCongestion DropReason = "congestion"
	// DropCongestionGOP: the rest of a group of pictures, dropped until
	// the next keyframe because dropping unreferenced frames was not
	// enough.
	DropCongestionGOP DropReason = "congestion-gop"
	// DropReconnect: frames the destination could not send while its
	// connection was down, or that came before the first keyframe after
	// it.
	DropReconnect DropReason = "reconnect"
)

// DestinationState is where a destination stands.
type DestinationState string

// Destination states, in DestinationStats.State.
const (
	StateConnecting   DestinationState = "connecting"
	StateLive         DestinationState = "live"
	StateReconnecting DestinationState = "reconnecting"
	// StateFailed: the destination failed for good (Err says why); the
	// stream may go on to the others.
	StateFailed DestinationState = "failed"
	// StateDone: the stream ended and the destination unpublished.
	StateDone DestinationState = "done"
)

// DestinationStats are one destination's counters: what it sent to its
// server and what it did not.
type DestinationStats struct {
	// Name is Destination.Name, or the URL with its key redacted.
	Name  string
	State DestinationState
	// Err is why the destination failed (StateFailed) or is reconnecting.
	Err error
	// BytesSent counts the payload bytes of the tags written to the
	// server's connection.
	BytesSent int64
	// VideoSent and AudioSent count the frames written to it.
	VideoSent, AudioSent int64
	// VideoDropped counts the video frames not sent, by reason.
	VideoDropped map[DropReason]int64
	// AudioDropped counts the AAC frames not sent, all while the
	// connection was down: congestion never drops audio.
	AudioDropped int64
	// Queued is the media time waiting in the send queue.
	Queued time.Duration
	// SendDelay is how far behind the server is: the media time waiting
	// in the send queue plus what the kernel holds or has on the way
	// and the server has not acknowledged yet (the kernel's share is
	// known on Linux only). Config.MaxLatency bounds it.
	SendDelay time.Duration
	// Reconnects counts re-established connections.
	Reconnects int64
}

// VideoDroppedTotal is the sum of VideoDropped over the reasons.
func (d DestinationStats) VideoDroppedTotal() int64 {
	var n int64
	for _, v := range d.VideoDropped {
		n += v
	}
	return n
}

// drops counts dropped frames by reason.
type drops struct {
	mu sync.Mutex
	n  map[DropReason]int64
}

func (d *drops) add(r DropReason) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.n == nil {
		d.n = make(map[DropReason]int64)
	}
	d.n[r]++
}

// snapshot copies the counts.
func (d *drops) snapshot() map[DropReason]int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	m := make(map[DropReason]int64, len(d.n))
	for r, n := range d.n {
		m[r] = n
	}
	return m
}

// pipelineStats are the counters of the sources, encoders and muxer.
type pipelineStats struct {
	mediaTime, bytesMuxed                        atomic.Int64
	taken, repeated, outOfOrder, videoMuxed, idr atomic.Int64
	audioMuxed, silence                          atomic.Int64
	videoBitrate, skipFrames                     atomic.Int64
}

func (s *pipelineStats) snapshot(dests []DestinationStats) Stats {
	return Stats{
		MediaTime:  time.Duration(s.mediaTime.Load()),
		BytesMuxed: s.bytesMuxed.Load(),
		Video: VideoStats{
			Taken:         s.taken.Load(),
			Repeated:      s.repeated.Load(),
			SkipFrames:    s.skipFrames.Load(),
			OutOfOrder:    s.outOfOrder.Load(),
			Muxed:         s.videoMuxed.Load(),
			Keyframes:     s.idr.Load(),
			TargetBitrate: s.videoBitrate.Load(),
		},
		Audio: AudioStats{
			Muxed:           s.audioMuxed.Load(),
			SilenceInserted: time.Duration(s.silence.Load()),
		},
		Destinations: dests,
	}
}

// destinationStats are one destination's counters.
type destinationStats struct {
	drops                       drops
	audioDropped                atomic.Int64
	bytes, videoSent, audioSent atomic.Int64
	reconnects                  atomic.Int64
	queued                      atomic.Int64
	inKernel                    atomic.Int64 // media time handed to the kernel and not acknowledged

	mu    sync.Mutex
	state DestinationState
	err   error
}

func (s *destinationStats) setState(st DestinationState, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state, s.err = st, err
}

// sent counts a tag written to the server.
func (s *destinationStats) sent(t tag) {
	s.bytes.Add(int64(len(t.body.b)))
	switch {
	case t.header:
	case t.typ == flvTagVideo:
		s.videoSent.Add(1)
	case t.typ == flvTagAudio:
		s.audioSent.Add(1)
	}
}

func (s *destinationStats) snapshot(name string) DestinationStats {
	d := DestinationStats{
		Name:         name,
		BytesSent:    s.bytes.Load(),
		VideoSent:    s.videoSent.Load(),
		AudioSent:    s.audioSent.Load(),
		VideoDropped: s.drops.snapshot(),
		AudioDropped: s.audioDropped.Load(),
		Reconnects:   s.reconnects.Load(),
		Queued:       time.Duration(s.queued.Load()),
	}
	d.SendDelay = d.Queued + time.Duration(s.inKernel.Load())
	s.mu.Lock()
	d.State, d.Err = s.state, s.err
	s.mu.Unlock()
	return d
}
