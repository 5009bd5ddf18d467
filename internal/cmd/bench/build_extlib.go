//go:build linux && extlib

package main

// x264Build names the x264 that golivecast links: with -tags extlib, the
// system libx264 (with its assembly).
const x264Build = "system libx264 (-tags extlib)"
