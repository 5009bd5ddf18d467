//go:build linux && !extlib

package main

// x264Build names the x264 that golivecast links: by default the C
// sources bundled with x264-go, built without assembly.
const x264Build = "bundled x264 (C only)"
