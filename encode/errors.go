package encode

import "errors"

var (
	// ErrClosed is returned by an encoder used after Close.
	ErrClosed = errors.New("encode: encoder is closed")
	// ErrImageSize is returned when an image does not have the configured size.
	ErrImageSize = errors.New("encode: image size differs from the configured size")
	// ErrNilImage is returned when Encode is given a nil image.
	ErrNilImage = errors.New("encode: nil image")
	// ErrOptions is returned when an option is out of range.
	ErrOptions = errors.New("encode: invalid option")
	// ErrPCMLength is returned when PCM does not hold whole sample frames.
	ErrPCMLength = errors.New("encode: PCM length is not a whole number of sample frames")
	// ErrAACBusy is returned when a second AAC encoder is opened while one
	// is live: the underlying library keeps a single process-wide handle.
	ErrAACBusy = errors.New("encode: another AAC encoder is open in this process")
	// ErrEncoder is returned when the underlying codec library fails.
	ErrEncoder = errors.New("encode: codec library failed")
)
