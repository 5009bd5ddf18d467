package rtmptest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrClosed is returned by WaitFor when the server has closed before the
// condition held.
var ErrClosed = errors.New("rtmptest: server closed")

// Kind says what an Event records.
type Kind string

// Event kinds, one per message or connection step a publisher goes through.
const (
	KindConnect       Kind = "connect"
	KindCreateStream  Kind = "createStream"
	KindReleaseStream Kind = "releaseStream"
	KindFCPublish     Kind = "FCPublish"
	KindPublish       Kind = "publish"
	KindSetDataFrame  Kind = "setDataFrame"
	KindAudio         Kind = "audio"
	KindVideo         Kind = "video"
	KindFCUnpublish   Kind = "FCUnpublish"
	KindDeleteStream  Kind = "deleteStream"
	KindClose         Kind = "close"

	// Anything else: a command or data message go-rtmp does not handle
	// (unknown name, or not valid in the current state, such as
	// @setDataFrame before publish; Name holds its name, Timestamp is 0
	// for unknown names), or another message type such as audio sent
	// before publish (Name holds "type N").
	KindCommand Kind = "command"
	KindData    Kind = "data"
	KindMessage Kind = "message"
)

// Event is one thing a client did, in arrival order. Fields that do not
// apply to the Kind are zero.
type Event struct {
	Kind Kind
	// Conn numbers connections from 1 in accept order, so a test can tell
	// a reconnect from the first session.
	Conn int
	// Timestamp is the RTMP message timestamp in milliseconds.
	Timestamp uint32
	// Arrived is when the server had read the whole message, for tests
	// of latency and pacing.
	Arrived time.Time

	// App is set from connect on; Key (the publishing name) from publish
	// on, and for releaseStream, FCPublish and FCUnpublish, their argument.
	App string
	Key string
	// Name is the script data name of setDataFrame ("onMetaData"), or the
	// command, data or message name for the catch-all kinds.
	Name string
	// StreamID is the message stream id: createStream's result, the
	// publishing stream, deleteStream's argument.
	StreamID uint32

	// Connect holds the connect command object (KindConnect).
	Connect *ConnectInfo
	// PublishType is publish's type argument, usually "live".
	PublishType string
	// Metadata is the decoded onMetaData object (KindSetDataFrame).
	Metadata map[string]any
	// Audio and Video hold the decoded FLV tag header (KindAudio,
	// KindVideo).
	Audio *AudioHeader
	Video *VideoHeader
	// Body is the whole message as received, which is the FLV tag body;
	// Payload is what follows the FLV audio or video header: an
	// AudioSpecificConfig or raw AAC frame, an AVCDecoderConfigurationRecord
	// or length-prefixed NAL units. Both are nil when Config.DropPayloads.
	Body    []byte
	Payload []byte

	// Err is set for a refused publish (KindPublish), a message that could
	// not be decoded, and for KindClose the reason go-rtmp gave for ending
	// the connection (nil for a client that hung up cleanly).
	Err error
}

// ConnectInfo is the part of the connect command object a test checks.
type ConnectInfo struct {
	App      string
	TCURL    string
	FlashVer string
	Type     string
}

// AudioHeader is the FLV AUDIODATA header (Adobe FLV 10.1 E.4.2.1), as
// numbers: SoundFormat 10 is AAC, whose AACPacketType is 0 for the
// AudioSpecificConfig and 1 for a frame.
type AudioHeader struct {
	SoundFormat   uint8
	SoundRate     uint8
	SoundSize     uint8
	SoundType     uint8
	AACPacketType uint8 // only when SoundFormat is AAC
}

// VideoHeader is the FLV VIDEODATA header (Adobe FLV 10.1 E.4.3.1), as
// numbers: FrameType 1 is a keyframe, 2 an inter frame; CodecID 7 is AVC,
// whose AVCPacketType is 0 for the decoder configuration, 1 for a frame
// and 2 for the end of the sequence.
type VideoHeader struct {
	FrameType       uint8
	CodecID         uint8
	AVCPacketType   uint8 // only when CodecID is AVC
	CompositionTime int32 // milliseconds, only when CodecID is AVC
}

// VideoFrame reports whether e is a video frame: AVC NAL units, not the
// decoder configuration.
func (e Event) VideoFrame() bool {
	return e.Kind == KindVideo && e.Video != nil && e.Video.CodecID == 7 && e.Video.AVCPacketType == 1
}

// AudioFrame reports whether e is an audio frame: raw AAC, not the
// AudioSpecificConfig.
func (e Event) AudioFrame() bool {
	return e.Kind == KindAudio && e.Audio != nil && e.Audio.SoundFormat == 10 && e.Audio.AACPacketType == 1
}

// String gives a one-line description for test logs, without payloads.
func (e Event) String() string {
	s := fmt.Sprintf("#%d %s ts=%d", e.Conn, e.Kind, e.Timestamp)
	switch e.Kind {
	case KindConnect:
		if e.Connect != nil {
			s += fmt.Sprintf(" %+v", *e.Connect)
		}
	case KindAudio:
		if e.Audio != nil {
			s += fmt.Sprintf(" %+v %dB", *e.Audio, len(e.Body))
		}
	case KindVideo:
		if e.Video != nil {
			s += fmt.Sprintf(" %+v %dB", *e.Video, len(e.Body))
		}
	case KindSetDataFrame:
		s += fmt.Sprintf(" %s %v", e.Name, e.Metadata)
	}
	if e.App != "" || e.Key != "" {
		s += fmt.Sprintf(" app=%q key=%q", e.App, e.Key)
	}
	if e.Name != "" && e.Kind != KindSetDataFrame {
		s += fmt.Sprintf(" name=%q", e.Name)
	}
	if e.Err != nil {
		s += " err=" + e.Err.Error()
	}
	return s
}

// Events returns a copy of the event log, oldest first. The byte slices
// are shared and must not be modified.
func (s *Server) Events() []Event {
	evs, _, _ := s.events.snapshot()
	return append([]Event(nil), evs...)
}

// WaitFor waits until cond holds for the event log, checking after every
// new event. It returns ctx.Err() when ctx ends first and ErrClosed when
// the server closes first. cond must not keep or modify the slice.
func (s *Server) WaitFor(ctx context.Context, cond func([]Event) bool) error {
	for {
		evs, changed, closed := s.events.snapshot()
		if cond(evs) {
			return nil
		}
		if closed {
			return ErrClosed
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WaitClosed waits until a client's connection has closed (a KindClose
// event: the publisher unpublished and hung up, or was cut off), and
// returns the event log then.
func (s *Server) WaitClosed(ctx context.Context) ([]Event, error) {
	err := s.WaitFor(ctx, func(evs []Event) bool {
		for _, e := range evs {
			if e.Kind == KindClose {
				return true
			}
		}
		return false
	})
	return s.Events(), err
}

// eventLog is an append-only list with a broadcast on every change.
type eventLog struct {
	mu      sync.Mutex
	events  []Event
	changed chan struct{} // closed and replaced on each append, and on close
	closed  bool
}

func newEventLog() eventLog {
	return eventLog{changed: make(chan struct{})}
}

func (l *eventLog) add(e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
	close(l.changed)
	l.changed = make(chan struct{})
}

func (l *eventLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		close(l.changed)
		l.changed = make(chan struct{})
	}
}

// snapshot returns the events so far (capacity clipped, so a later append
// never writes into it), a channel closed at the next change, and whether
// the log is closed.
func (l *eventLog) snapshot() ([]Event, <-chan struct{}, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.events[:len(l.events):len(l.events)], l.changed, l.closed
}
