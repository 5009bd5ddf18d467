//go:build linux && !turbojpeg

package main

import (
	"errors"
	"image"
	"io"
)

// turboJPEG is true when the recipe-turbo mode is built in: it needs
// -tags turbojpeg and libjpeg-turbo's headers (Debian: libjpeg-dev).
const turboJPEG = false

func writeJPEGTurbo(io.Writer, image.Image, int) (int, error) {
	return 0, errors.New("the recipe-turbo mode needs -tags turbojpeg (and libjpeg-dev)")
}
