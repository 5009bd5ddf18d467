//go:build linux

package main

import "github.com/golivecast/golivecast/encode"

// x264Build names the x264 golivecast encodes with in this process (see
// encode.X264Info): the system libx264 loaded at run time, the one
// linked with -tags extlib, or the bundled C build.
var x264Build = func() string {
	lib, err := encode.X264Info()
	if err != nil {
		return err.Error()
	}
	return lib.String()
}()
