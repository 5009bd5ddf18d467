//go:build !linux || extlib

package encode

import "errors"

// dlopenX264 loads nothing: a system libx264 is loaded at run time on
// Linux only, and with -tags extlib it is linked instead.
func dlopenX264([]string) (*x264Lib, error) {
	if linkedBackend == X264Linked {
		return nil, errors.New("built with -tags extlib: the system libx264 is linked, not loaded")
	}
	return nil, errors.New("loading a system libx264 is supported on Linux only")
}
