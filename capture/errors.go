package capture

import "errors"

// Sentinel errors. Functions wrap them with %w and add the values that
// caused them, so callers test with errors.Is and people read the details.
var (
	// ErrClosed is returned by writes to, and opens of, something that was
	// already closed. Reads return io.EOF instead, because a closed source
	// has simply ended.
	ErrClosed = errors.New("capture: closed")

	// ErrNilImage is returned when a nil image is written: the publisher
	// would have nothing to encode, and failing at the write points at the
	// caller's bug instead of at the encoder.
	ErrNilImage = errors.New("capture: nil image")

	// ErrFormat marks an AudioFormat, or a parameter of a generated source,
	// that golivecast cannot carry.
	ErrFormat = errors.New("capture: invalid audio format")

	// ErrPartialFrame is returned when PCM does not hold a whole number of
	// sample frames. Accepting it would shift every later sample to the
	// wrong channel.
	ErrPartialFrame = errors.New("capture: PCM is not a whole number of sample frames")

	// ErrAudioOverflow is returned when a write would queue more audio
	// than the configured limit. The write is refused as a whole, so no
	// sample is lost without the caller knowing.
	ErrAudioOverflow = errors.New("capture: audio queue full")

	// ErrNoBackend is returned when no audio backend could be initialized.
	ErrNoBackend = errors.New("capture: no audio backend available")

	// ErrNoDevice is returned when the requested capture device does not
	// exist or cannot be opened.
	ErrNoDevice = errors.New("capture: no such audio device")

	// ErrDeviceStopped is returned by a Microphone whose device stopped on
	// its own (unplugged, server gone), after the captured audio was read.
	ErrDeviceStopped = errors.New("capture: audio device stopped")
)
