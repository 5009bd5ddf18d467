package rtmpsrc

import (
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golivecast/golivecast/encode"
)

// DropReason says why a video frame was not sent.
type DropReason string

// The reasons a frame is dropped, in Stats.FramesDropped.
const (
	// DropNotMonotonic: a timestamped frame did not come after the
	// previous one.
	DropNotMonotonic DropReason = "not-monotonic"
	// DropCongestion: a frame no other frame references, dropped because
	// a destination's send queue held more than MaxLatency of media.
	DropCongestion DropReason = "congestion"
	// DropCongestionGOP: the rest of a group of pictures, dropped until
	// the next keyframe because dropping unreferenced frames was not
	// enough.
	DropCongestionGOP DropReason = "congestion-gop"
	// DropReconnect: frames a destination could not send while its
	// connection was down, or that came before the first keyframe after
	// it.
	DropReconnect DropReason = "reconnect"
)

// Stats is a snapshot of a publisher's counters.
type Stats struct {
	// MediaTime is the timestamp of the last packet muxed.
	MediaTime time.Duration
	// FramesIn counts pictures taken from the video source.
	FramesIn int64
	// FramesOut counts video packets muxed and handed to the
	// destinations; a destination may still drop some (FramesDropped).
	FramesOut int64
	// Keyframes counts IDR packets muxed.
	Keyframes int64
	// FramesRepeated counts frame ticks where the source had nothing new
	// in time and the last picture was sent again.
	FramesRepeated int64
	// SkipFrames counts repeated pictures sent as skip frames: a few
	// bytes, before any CBR filler, written by golivecast instead of an
	// x264 encode (see encode.H264.Repeat). The repeats are those of
	// FramesRepeated and the frames a source marked
	// capture.Frame.Unchanged; those that fall on a keyframe are sent as
	// one (x264's last IDR picture again, or a new one), and all of them
	// go to x264 on streams that cannot take skip frames
	// (encode.H264.SkipFrames).
	SkipFrames int64
	// FramesDropped counts pictures not sent, by reason, summed over the
	// destinations.
	FramesDropped map[DropReason]int64
	// AudioPackets counts AAC frames muxed.
	AudioPackets int64
	// AudioDropped counts AAC frames destinations could not send while
	// their connection was down, summed. Congestion never drops audio.
	AudioDropped int64
	// SilenceInserted is the audio filled with silence because the audio
	// source was late.
	SilenceInserted time.Duration
	// BytesSent counts tag payload bytes muxed.
	BytesSent int64
	// Bitrate is the average payload bitrate since the start, in bit/s.
	Bitrate float64
	// LastVideo and LastAudio are the DTS of the last packets muxed.
	LastVideo, LastAudio time.Duration
	// Reconnects counts re-established connections, summed over the
	// destinations.
	Reconnects int64
	// Queued is the most media time waiting in a destination's send
	// queue.
	Queued time.Duration
	// Destinations holds each live destination's own counters, in the
	// order of Config.Destinations (Config.URL first).
	Destinations []DestinationStats
	// X264 is the x264 library the video encoder runs on (see
	// encode.X264Info), once it is open.
	X264 encode.X264Library
}

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

// DestinationStats are one destination's counters.
type DestinationStats struct {
	// Name is Destination.Name, or the URL with its key redacted.
	Name  string
	State DestinationState
	// Err is why the destination failed (StateFailed) or is reconnecting.
	Err error
	// BytesSent counts the bytes of tag payloads written to the server.
	BytesSent int64
	// FramesDropped counts pictures this destination did not send.
	FramesDropped map[DropReason]int64
	// AudioDropped counts AAC frames not sent while the connection was
	// down.
	AudioDropped int64
	// Reconnects counts re-established connections.
	Reconnects int64
	// Queued is the media time waiting in the send queue.
	Queued time.Duration
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

// addTo adds the counts to m.
func (d *drops) addTo(m map[DropReason]int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for r, n := range d.n {
		m[r] += n
	}
}

// pipelineStats are the counters of the sources, encoders and muxer.
type pipelineStats struct {
	x264                                     atomic.Pointer[encode.X264Library]
	drops                                    drops
	mediaTime                                atomic.Int64
	framesIn, framesOut, keyframes, repeated atomic.Int64
	audioPackets, silence                    atomic.Int64
	bytes                                    atomic.Int64
	lastVideo, lastAudio                     atomic.Int64
	skipFrames                               atomic.Int64
}

// destinationStats are one destination's counters.
type destinationStats struct {
	drops        drops
	audioDropped atomic.Int64
	bytes        atomic.Int64
	reconnects   atomic.Int64
	queued       atomic.Int64

	mu    sync.Mutex
	state DestinationState
	err   error
}

func (s *destinationStats) setState(st DestinationState, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state, s.err = st, err
}

func (s *destinationStats) snapshot(name string) DestinationStats {
	d := DestinationStats{
		Name:          name,
		BytesSent:     s.bytes.Load(),
		FramesDropped: map[DropReason]int64{},
		AudioDropped:  s.audioDropped.Load(),
		Reconnects:    s.reconnects.Load(),
		Queued:        time.Duration(s.queued.Load()),
	}
	s.drops.addTo(d.FramesDropped)
	s.mu.Lock()
	d.State, d.Err = s.state, s.err
	s.mu.Unlock()
	return d
}

func (s *pipelineStats) snapshot(dests []DestinationStats) Stats {
	st := Stats{
		MediaTime:       time.Duration(s.mediaTime.Load()),
		FramesIn:        s.framesIn.Load(),
		FramesOut:       s.framesOut.Load(),
		Keyframes:       s.keyframes.Load(),
		FramesRepeated:  s.repeated.Load(),
		SkipFrames:      s.skipFrames.Load(),
		FramesDropped:   map[DropReason]int64{},
		AudioPackets:    s.audioPackets.Load(),
		SilenceInserted: time.Duration(s.silence.Load()),
		BytesSent:       s.bytes.Load(),
		LastVideo:       time.Duration(s.lastVideo.Load()),
		LastAudio:       time.Duration(s.lastAudio.Load()),
		Destinations:    dests,
	}
	if x := s.x264.Load(); x != nil {
		st.X264 = *x
	}
	s.drops.addTo(st.FramesDropped)
	for _, d := range dests {
		for r, n := range maps.All(d.FramesDropped) {
			st.FramesDropped[r] += n
		}
		st.AudioDropped += d.AudioDropped
		st.Reconnects += d.Reconnects
		st.Queued = max(st.Queued, d.Queued)
	}
	if st.MediaTime > 0 {
		st.Bitrate = float64(st.BytesSent*8) / st.MediaTime.Seconds()
	}
	return st
}
