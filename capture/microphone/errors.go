package microphone

import "errors"

// Sentinel errors, wrapped with %w and the values that caused them.
var (
	// ErrNoBackend is returned when no audio backend could be initialized.
	ErrNoBackend = errors.New("microphone: no audio backend available")

	// ErrNoDevice is returned when the requested capture device does not
	// exist or cannot be opened.
	ErrNoDevice = errors.New("microphone: no such audio device")

	// ErrDeviceStopped is returned by a Microphone whose device stopped on
	// its own (unplugged, server gone), after the captured audio was read.
	ErrDeviceStopped = errors.New("microphone: audio device stopped")
)
