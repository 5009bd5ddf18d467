//go:build extlib && pkgconfig

package encode

// x264c finds the system libx264 through pkg-config with these tags;
// this package includes its x264.h too.

// #cgo pkg-config: x264
import "C"
