package rtmp

import "errors"

// The errors of the wire protocol. Their messages name rtmpsrc, since
// they reach users through it, which exports the same values.
var (
	// ErrProtocol is wrapped when the server breaks the RTMP protocol.
	ErrProtocol = errors.New("rtmpsrc: protocol error")
	// ErrTimeout is wrapped when a step takes longer than its timeout.
	ErrTimeout = errors.New("rtmpsrc: timed out")
	// ErrRefused is wrapped when the server refuses to let us publish.
	ErrRefused = errors.New("rtmpsrc: publishing refused")
	// ErrConnectionLost is wrapped when an established connection fails.
	ErrConnectionLost = errors.New("rtmpsrc: connection lost")
)
