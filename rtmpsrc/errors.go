package rtmpsrc

import (
	"errors"
	"fmt"

	"github.com/golivecast/golivecast/internal/rtmp"
)

var (
	// ErrClosed is returned by Run after Close.
	ErrClosed = errors.New("rtmpsrc: publisher closed")
	// ErrURL is wrapped by every URL parsing error.
	ErrURL = errors.New("rtmpsrc: invalid URL")
	// ErrConfig is wrapped by configuration errors.
	ErrConfig = errors.New("rtmpsrc: invalid config")
	// ErrProtocol is wrapped when the server breaks the RTMP protocol.
	ErrProtocol = rtmp.ErrProtocol
	// ErrTimeout is wrapped when a step takes longer than its timeout.
	ErrTimeout = rtmp.ErrTimeout
	// ErrRefused is wrapped when the server refuses to let us publish.
	// A *StatusError of level "error" also matches it.
	ErrRefused = rtmp.ErrRefused
	// ErrConnectionLost is wrapped when an established connection fails.
	ErrConnectionLost = rtmp.ErrConnectionLost
	// ErrIncomplete is wrapped when a destination missed the end of the
	// stream: it was down or reconnecting when the stream ended, or could
	// not send what was queued in time. The error names the media time
	// from which the server lacks the stream.
	ErrIncomplete = errors.New("rtmpsrc: stream incomplete")
)

// StatusError is a refusal or failure the server reported in an
// onStatus or _error message, such as NetStream.Publish.BadName.
type StatusError struct {
	// Command is what the server answered ("connect", "publish", …).
	Command string
	// Level is "error" or "warning" (or "status").
	Level string
	// Code is the status code, e.g. "NetStream.Publish.BadName".
	Code string
	// Description is the server's text, with the stream key redacted.
	Description string
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("rtmpsrc: server refused %s: %s (%s)", e.Command, e.Code, e.Level)
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// Is makes a refusal match ErrRefused.
func (e *StatusError) Is(target error) bool { return target == ErrRefused && e.Permanent() }

// Permanent reports whether retrying the same publish cannot succeed: a
// refused name, key or application.
func (e *StatusError) Permanent() bool { return e.Level == "error" }
