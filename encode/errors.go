package encode

import "errors"

var (
	// ErrClosed is returned by an encoder used after Close.
	ErrClosed = errors.New("encode: encoder is closed")
	// ErrImageSize is returned when an image does not have the configured size.
	ErrImageSize = errors.New("encode: image size differs from the configured size")
	// ErrNilImage is returned when Encode is given a nil image.
	ErrNilImage = errors.New("encode: nil image")
	// ErrConfig is returned when an option is out of range or options
	// contradict each other.
	ErrConfig = errors.New("encode: invalid configuration")
	// ErrPartialFrame is returned when PCM does not hold a whole number of
	// sample frames.
	ErrPartialFrame = errors.New("encode: PCM is not a whole number of sample frames")
	// ErrX264Library is returned when the x264 library asked for through
	// GOLIVECAST_X264 cannot be used (see X264Env).
	ErrX264Library = errors.New("encode: x264 library unusable")
	// ErrEncoder is returned when the underlying codec library fails.
	ErrEncoder = errors.New("encode: codec library failed")
)
