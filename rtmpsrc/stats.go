package rtmpsrc

import (
	"sync"
	"sync/atomic"
	"time"
)

// Stats is a snapshot of a publisher's counters.
type Stats struct {
	// MediaTime is the timestamp of the last packet sent.
	MediaTime time.Duration
	// FramesIn counts pictures taken from the video source.
	FramesIn int64
	// FramesOut counts video packets muxed and handed to the sinks; a
	// live sink may still drop some, counted in FramesDropped.
	FramesOut int64
	// Keyframes counts IDR packets sent.
	Keyframes int64
	// FramesRepeated counts frame ticks where the source had nothing new
	// in time and the last picture was encoded again.
	FramesRepeated int64
	// FramesDropped counts pictures not sent, by reason.
	FramesDropped map[string]int64
	// AudioPackets counts AAC frames muxed and handed to the sinks.
	AudioPackets int64
	// AudioDropped counts AAC frames a live stream could not send while
	// its connection was down. Congestion never drops audio.
	AudioDropped int64
	// SilenceInserted is the audio filled with silence because the audio
	// source was late.
	SilenceInserted time.Duration
	// BytesSent counts tag payload bytes handed to the sinks.
	BytesSent int64
	// Bitrate is the average payload bitrate since the start, in bit/s.
	Bitrate float64
	// LastVideo and LastAudio are the DTS of the last packets sent.
	LastVideo, LastAudio time.Duration
	// Reconnects counts re-established connections.
	Reconnects int64
	// Queued is the media time waiting in the send queue of a live
	// stream.
	Queued time.Duration
}

// Drop reasons in Stats.FramesDropped.
const (
	// DropNotMonotonic: a timestamped frame did not come after the
	// previous one.
	DropNotMonotonic = "not-monotonic"
)

type stats struct {
	dropMu sync.Mutex
	drops  map[string]int64

	start                                    atomic.Int64 // unix nanos of media time 0
	mediaTime                                atomic.Int64
	framesIn, framesOut, keyframes, repeated atomic.Int64
	audioPackets, silence, audioDropped      atomic.Int64
	bytes                                    atomic.Int64
	lastVideo, lastAudio                     atomic.Int64
	reconnects                               atomic.Int64
	queued                                   atomic.Int64
}

func (s *stats) drop(reason string) {
	s.dropMu.Lock()
	defer s.dropMu.Unlock()
	if s.drops == nil {
		s.drops = make(map[string]int64)
	}
	s.drops[reason]++
}

func (s *stats) mediaTimeNow() time.Duration { return time.Duration(s.mediaTime.Load()) }

func (s *stats) snapshot() Stats {
	st := Stats{
		MediaTime:       time.Duration(s.mediaTime.Load()),
		FramesIn:        s.framesIn.Load(),
		FramesOut:       s.framesOut.Load(),
		Keyframes:       s.keyframes.Load(),
		FramesRepeated:  s.repeated.Load(),
		FramesDropped:   map[string]int64{},
		AudioPackets:    s.audioPackets.Load(),
		AudioDropped:    s.audioDropped.Load(),
		SilenceInserted: time.Duration(s.silence.Load()),
		BytesSent:       s.bytes.Load(),
		LastVideo:       time.Duration(s.lastVideo.Load()),
		LastAudio:       time.Duration(s.lastAudio.Load()),
		Reconnects:      s.reconnects.Load(),
		Queued:          time.Duration(s.queued.Load()),
	}
	s.dropMu.Lock()
	for k, v := range s.drops {
		st.FramesDropped[k] = v
	}
	s.dropMu.Unlock()
	if st.MediaTime > 0 {
		st.Bitrate = float64(st.BytesSent*8) / st.MediaTime.Seconds()
	}
	return st
}
