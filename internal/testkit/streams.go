package testkit

import (
	"encoding/json"
	"strconv"
	"testing"
)

// Stream describes one stream of a file, as ffprobe sees it.
type Stream struct {
	Index     int
	CodecName string // "h264", "aac", ...
	CodecType string // "video" or "audio"
	Profile   string

	// Video.
	Width, Height int
	PixFmt        string

	// Audio.
	SampleRate int
	Channels   int

	// Counted by decoding the whole file (-count_frames -count_packets).
	NbReadFrames  int
	NbReadPackets int
}

// Streams returns the streams of the file at path, with their frames and
// packets counted, which decodes the whole file.
func Streams(t testing.TB, path string) []Stream {
	t.Helper()
	RequireFFmpeg(t)
	out, _ := run(t, "ffprobe", "-v", "error", "-count_frames", "-count_packets",
		"-show_streams", "-of", "json", path)
	var doc struct {
		Streams []struct {
			Index         int    `json:"index"`
			CodecName     string `json:"codec_name"`
			CodecType     string `json:"codec_type"`
			Profile       string `json:"profile"`
			Width         int    `json:"width"`
			Height        int    `json:"height"`
			PixFmt        string `json:"pix_fmt"`
			SampleRate    string `json:"sample_rate"` // ffprobe prints it as a string
			Channels      int    `json:"channels"`
			NbReadFrames  string `json:"nb_read_frames"`
			NbReadPackets string `json:"nb_read_packets"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("testkit: ffprobe output for %s: %v", path, err)
	}
	streams := make([]Stream, 0, len(doc.Streams))
	for _, s := range doc.Streams {
		streams = append(streams, Stream{
			Index: s.Index, CodecName: s.CodecName, CodecType: s.CodecType, Profile: s.Profile,
			Width: s.Width, Height: s.Height, PixFmt: s.PixFmt,
			SampleRate: atoi(s.SampleRate), Channels: s.Channels,
			NbReadFrames: atoi(s.NbReadFrames), NbReadPackets: atoi(s.NbReadPackets),
		})
	}
	return streams
}

// atoi reads ffprobe's numeric strings; absent or "N/A" gives 0.
func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}
