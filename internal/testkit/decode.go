package testkit

import (
	"encoding/binary"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// DecodeErrors decodes every stream of the file at path and returns what
// ffmpeg reports at level error; "" means the file decoded cleanly.
func DecodeErrors(t testing.TB, path string) string {
	t.Helper()
	RequireFFmpeg(t)
	_, stderr := run(t, "ffmpeg", DecodeArgs(path)...)
	return strings.TrimSpace(string(stderr))
}

// DecodeArgs are ffmpeg's arguments to decode every stream of path and
// report only errors. Decoded frames keep their own timestamps, in
// milliseconds: ffmpeg's default for the null muxer re-times video on a
// 1/frame-rate grid, where two millisecond timestamps half a frame off
// that grid (a viewer that joined mid-stream records video starting at
// 1.250 s at 30 fps) round to the same tick and are reported as "non
// monotonically increasing dts to muxer", an error of ffmpeg's own
// output side and not of the stream.
func DecodeArgs(path string) []string {
	return []string{"-nostdin", "-hide_banner", "-v", "error", "-i", path,
		"-fps_mode", "passthrough", "-enc_time_base:v", "1:1000", "-f", "null", "-"}
}

// LumaFrame is one decoded video frame, scaled and turned to 8-bit gray.
type LumaFrame struct {
	PTS  time.Duration // presentation time, to the microsecond
	Mean float64       // mean of Pix, 0 to 255
	Pix  []byte        // w*h gray samples, row by row
}

// showinfoRE reads the frame number and presentation time from the
// showinfo filter's log line for each frame.
var showinfoRE = regexp.MustCompile(`\bn:\s*(\d+)\s+pts:\s*-?\d+\s+pts_time:(\S+)`)

// VideoLuma decodes the first video stream of the file at path and returns
// every decoded frame, in presentation order, scaled to w x h and converted
// to gray, with its mean luma and its presentation time.
//
// One ffmpeg run gives both: the frames come out as raw gray on stdout
// (-fps_mode passthrough: no frame dropped or duplicated), and the showinfo
// filter logs each frame's pts_time on stderr in the same order.
func VideoLuma(t testing.TB, path string, w, h int) []LumaFrame {
	t.Helper()
	RequireFFmpeg(t)
	if w <= 0 || h <= 0 {
		t.Fatalf("testkit: VideoLuma: size %dx%d", w, h)
	}
	filter := fmt.Sprintf("scale=%d:%d:flags=area,format=gray,showinfo", w, h)
	stdout, stderr := run(t, "ffmpeg", "-nostdin", "-hide_banner", "-v", "info", "-i", path,
		"-map", "0:v:0", "-vf", filter, "-fps_mode", "passthrough", "-f", "rawvideo", "pipe:1")
	size := w * h
	if len(stdout)%size != 0 {
		t.Fatalf("testkit: %s: %d bytes of gray video is not a whole number of %dx%d frames", path, len(stdout), w, h)
	}
	matches := showinfoRE.FindAllStringSubmatch(string(stderr), -1)
	n := len(stdout) / size
	if len(matches) != n {
		t.Fatalf("testkit: %s: %d frames decoded but %d timestamps logged", path, n, len(matches))
	}
	frames := make([]LumaFrame, n)
	for i := range frames {
		sec, err := strconv.ParseFloat(matches[i][2], 64)
		if err != nil {
			t.Fatalf("testkit: %s: pts_time %q: %v", path, matches[i][2], err)
		}
		pix := stdout[i*size : (i+1)*size : (i+1)*size]
		var sum int
		for _, p := range pix {
			sum += int(p)
		}
		frames[i] = LumaFrame{
			PTS:  time.Duration(math.Round(sec*1e6)) * time.Microsecond,
			Mean: float64(sum) / float64(size),
			Pix:  pix,
		}
	}
	return frames
}

// AudioPCM decodes the first audio stream of the file at path to mono
// signed 16-bit samples at rate Hz (ffmpeg mixes channels down and
// resamples).
func AudioPCM(t testing.TB, path string, rate int) []int16 {
	t.Helper()
	RequireFFmpeg(t)
	stdout, _ := run(t, "ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-i", path,
		"-map", "0:a:0", "-ac", "1", "-ar", strconv.Itoa(rate), "-f", "s16le", "pipe:1")
	pcm := make([]int16, len(stdout)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(stdout[2*i:]))
	}
	return pcm
}
