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

	// ErrConfig marks an invalid setting: an AudioFormat golivecast
	// cannot carry, or a parameter of a source out of range.
	ErrConfig = errors.New("capture: invalid configuration")

	// ErrPartialFrame is returned when PCM does not hold a whole number of
	// sample frames. Accepting it would shift every later sample to the
	// wrong channel.
	ErrPartialFrame = errors.New("capture: PCM is not a whole number of sample frames")

	// ErrAudioOverflow is returned when a write would queue more audio
	// than the configured limit. The write is refused as a whole, so no
	// sample is lost without the caller knowing.
	ErrAudioOverflow = errors.New("capture: audio queue full")
)
