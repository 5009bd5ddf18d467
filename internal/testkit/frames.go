package testkit

import (
	"strings"
	"testing"
)

// FrameHashes decodes the first video stream of the file at path and
// returns an MD5 of each decoded picture, in order, every picture once
// (-fps_mode passthrough): equal hashes are pictures equal to the bit.
func FrameHashes(t testing.TB, path string) []string {
	t.Helper()
	RequireFFmpeg(t)
	stdout, _ := run(t, "ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-i", path,
		"-map", "0:v:0", "-fps_mode", "passthrough", "-f", "framemd5", "pipe:1")
	var hashes []string
	for _, line := range strings.Split(string(stdout), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ",")
		hashes = append(hashes, strings.TrimSpace(f[len(f)-1]))
	}
	return hashes
}
