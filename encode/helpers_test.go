package encode

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/pkg/codecs/mpeg4audio"
	flv "github.com/yutopp/go-flv"
	flvtag "github.com/yutopp/go-flv/tag"
)

// requireTool fails under CI (where .ci/run installs ffmpeg) and skips
// elsewhere when an independent decoder is missing.
func requireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found: install the Debian package ffmpeg", name)
		}
		t.Skipf("%s not found (Debian package ffmpeg)", name)
	}
	return p
}

func run(t testing.TB, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, requireTool(t, name), args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	return out
}

// writeFLV writes H.264 packets into an FLV file with go-flv, a writer
// independent of golivecast's own muxer.
func writeFLV(t testing.TB, config []byte, pkts []Packet) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "video.flv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	enc, err := flv.NewEncoder(f, flv.FlagsVideo)
	if err != nil {
		t.Fatal(err)
	}
	write := func(ts time.Duration, vd *flvtag.VideoData) {
		if err := enc.Encode(&flvtag.FlvTag{TagType: flvtag.TagTypeVideo, Timestamp: uint32(ts.Milliseconds()), Data: vd}); err != nil {
			t.Fatal(err)
		}
	}
	write(0, &flvtag.VideoData{FrameType: flvtag.FrameTypeKeyFrame, CodecID: flvtag.CodecIDAVC,
		AVCPacketType: flvtag.AVCPacketTypeSequenceHeader, Data: bytes.NewReader(config)})
	for _, p := range pkts {
		ft := flvtag.FrameTypeInterFrame
		if p.Keyframe {
			ft = flvtag.FrameTypeKeyFrame
		}
		write(p.DTS, &flvtag.VideoData{FrameType: ft, CodecID: flvtag.CodecIDAVC, AVCPacketType: flvtag.AVCPacketTypeNALU,
			CompositionTime: int32(p.PTS.Milliseconds() - p.DTS.Milliseconds()), Data: bytes.NewReader(p.Data)})
	}
	return path
}

type probePacket struct {
	PTS, DTS time.Duration
	Key      bool
}

// probePackets lists a file's video packets as ffprobe reads them.
func probePackets(t testing.TB, path string) []probePacket {
	t.Helper()
	out := run(t, "ffprobe", "-v", "error", "-select_streams", "v:0", "-show_packets", "-show_entries", "packet=pts_time,dts_time,flags", "-of", "json", path)
	var res struct {
		Packets []struct {
			PTS   string `json:"pts_time"`
			DTS   string `json:"dts_time"`
			Flags string `json:"flags"`
		} `json:"packets"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	sec := func(s string) time.Duration {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("time %q: %v", s, err)
		}
		return time.Duration(math.Round(f*1000)) * time.Millisecond
	}
	var pk []probePacket
	for _, p := range res.Packets {
		pk = append(pk, probePacket{PTS: sec(p.PTS), DTS: sec(p.DTS), Key: len(p.Flags) > 0 && p.Flags[0] == 'K'})
	}
	return pk
}

// pattern draws frame i: a gradient with a bar that moves, so every
// picture differs and the encoder has real work.
func pattern(w, h, i int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8(i * 8), 255})
		}
	}
	bx := (i * 7) % w
	for y := 0; y < h; y++ {
		for x := bx; x < bx+8 && x < w; x++ {
			img.SetRGBA(x, y, color.RGBA{255, 255, 255, 255})
		}
	}
	return img
}

// tone makes n frames of s16le PCM: silence for the first lead frames,
// then a sine of freq Hz on every channel.
func tone(rate, channels, n, lead int, freq float64) []byte {
	b := make([]byte, 2*channels*n)
	for i := lead; i < n; i++ {
		v := int16(12000 * math.Sin(2*math.Pi*freq*float64(i-lead)/float64(rate)))
		for c := 0; c < channels; c++ {
			binary.LittleEndian.PutUint16(b[2*(i*channels+c):], uint16(v))
		}
	}
	return b
}

// writeADTS wraps raw AAC frames in ADTS so that ffmpeg can read them.
func writeADTS(t testing.TB, rate, channels int, frames [][]byte) string {
	t.Helper()
	var pk mpeg4audio.ADTSPackets
	for _, f := range frames {
		pk = append(pk, &mpeg4audio.ADTSPacket{Type: mpeg4audio.ObjectTypeAACLC, SampleRate: rate, ChannelCount: channels, AU: f})
	}
	b, err := pk.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "audio.aac")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// decodeMono decodes a file to mono s16 at its own rate with ffmpeg.
func decodeMono(t testing.TB, path string, rate int) []int16 {
	t.Helper()
	raw := run(t, "ffmpeg", "-v", "error", "-i", path, "-ac", "1", "-ar", strconv.Itoa(rate), "-f", "s16le", "-")
	s := make([]int16, len(raw)/2)
	for i := range s {
		s[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
	}
	return s
}

// goertzel returns the power of freq in s.
func goertzel(s []int16, rate int, freq float64) float64 {
	k := 2 * math.Cos(2*math.Pi*freq/float64(rate))
	var s1, s2 float64
	for _, v := range s {
		s0 := float64(v) + k*s1 - s2
		s2, s1 = s1, s0
	}
	return s1*s1 + s2*s2 - k*s1*s2
}
