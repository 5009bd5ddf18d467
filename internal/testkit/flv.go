package testkit

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	flv "github.com/yutopp/go-flv"
	"github.com/yutopp/go-flv/tag"
)

// FLVTag is one tag of an FLV file, read back with go-flv, an independent
// reader of the format.
type FLVTag struct {
	// Type is 8 (audio), 9 (video) or 18 (script data).
	Type tag.TagType
	// Timestamp in milliseconds.
	Timestamp uint32
	// Body is the tag body as go-flv re-encodes it from what it decoded:
	// every header bit is kept in the decoded fields, so it equals the
	// bytes in the file.
	Body []byte
	// Audio, Video and Script are the decoded headers (Data readers
	// drained); Script maps each script object's name to its value.
	Audio  *tag.AudioData
	Video  *tag.VideoData
	Script map[string]map[string]any
}

// Media reports whether the tag is an audio or video frame, not a sequence
// header or script data.
func (t FLVTag) Media() bool {
	switch {
	case t.Audio != nil:
		return t.Audio.SoundFormat != tag.SoundFormatAAC || t.Audio.AACPacketType == tag.AACPacketTypeRaw
	case t.Video != nil:
		return t.Video.CodecID != tag.CodecIDAVC || t.Video.AVCPacketType == tag.AVCPacketTypeNALU
	}
	return false
}

// Time is the timestamp as a duration.
func (t FLVTag) Time() time.Duration { return time.Duration(t.Timestamp) * time.Millisecond }

// ReadFLV decodes every tag of an FLV file held in b, failing the test on
// a malformed file.
func ReadFLV(t testing.TB, b []byte) []FLVTag {
	t.Helper()
	dec, err := flv.NewDecoder(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("testkit: FLV header: %v", err)
	}
	var out []FLVTag
	for {
		var tg tag.FlvTag
		if err := dec.Decode(&tg); err != nil {
			if errors.Is(err, io.EOF) {
				return out
			}
			t.Fatalf("testkit: FLV tag %d: %v", len(out), err)
		}
		ft := FLVTag{Type: tg.TagType, Timestamp: tg.Timestamp}
		var body bytes.Buffer
		switch d := tg.Data.(type) {
		case *tag.AudioData:
			err = tag.EncodeAudioData(&body, d)
			ft.Audio = d
		case *tag.VideoData:
			err = tag.EncodeVideoData(&body, d)
			ft.Video = d
		case *tag.ScriptData:
			ft.Script = map[string]map[string]any{}
			for name, obj := range d.Objects {
				ft.Script[name] = obj
			}
		}
		if err != nil {
			t.Fatalf("testkit: FLV tag %d: %v", len(out), err)
		}
		ft.Body = body.Bytes()
		out = append(out, ft)
	}
}

// ReadFLVFile is ReadFLV of the file at path.
func ReadFLVFile(t testing.TB, path string) []FLVTag {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return ReadFLV(t, b)
}

// Unhex decodes hex written with spaces between groups, as the byte-exact
// case tables write their bytes ("06 010203 000002").
func Unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// VideoBitrates returns the lowest and highest bitrate of the H.264 data
// (NAL units, without FLV headers) in an FLV file over every window of d
// that starts at a video tag and ends before the last one.
func VideoBitrates(t *testing.T, path string, d time.Duration) (lo, hi float64) {
	t.Helper()
	type frame struct {
		at   time.Duration
		size int
	}
	var frames []frame
	for _, tg := range ReadFLVFile(t, path) {
		if tg.Video != nil && tg.Media() {
			frames = append(frames, frame{tg.Time(), len(tg.Body) - 5})
		}
	}
	if len(frames) == 0 {
		t.Fatalf("%s: no video", path)
	}
	lo = -1
	for i := range frames {
		if frames[i].at+d > frames[len(frames)-1].at {
			break
		}
		n := 0
		for j := i; j < len(frames) && frames[j].at < frames[i].at+d; j++ {
			n += frames[j].size
		}
		r := float64(8*n) / d.Seconds()
		if lo < 0 || r < lo {
			lo = r
		}
		hi = max(hi, r)
	}
	return lo, hi
}
