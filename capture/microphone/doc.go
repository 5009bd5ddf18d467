// Package microphone captures PCM from an audio input device, through
// miniaudio (malgo), as a capture.AudioSource for a golivecast stream.
//
// It lives apart from package capture because it links miniaudio's C
// code: a program that streams generated pictures and sound does not.
//
// On Linux it needs a sound system: PulseAudio (which also serves
// PipeWire desktops) or ALSA. A PulseAudio null sink gives a machine
// without a sound card a real capture device (its monitor), which the
// tests use:
//
//	apt-get install pulseaudio pulseaudio-utils
//	pactl load-module module-null-sink sink_name=test
//	... Open(Options{Device: "test.monitor"})
package microphone
