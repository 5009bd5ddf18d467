package encode

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/bluenviron/mediacommon/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/pkg/codecs/mpeg4audio"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The SPS and PPS are x264's own for the sizes named; the records are
// what ISO/IEC 14496-15 5.3.3.1 lays out for them.
var avcConfigCases = []struct {
	name          string
	sps, pps      string
	width, height int
	profile       uint8
	record        string
}{
	{
		name: "high 320x240",
		sps:  "6764000dacb40a0fd080000003008000001e478a1550", pps: "68ef0fcb",
		width: 320, height: 240, profile: 100,
		record: "01" + "64000d" + "ff" + "e1" + "0016" + "6764000dacb40a0fd080000003008000001e478a1550" +
			"01" + "0004" + "68ef0fcb" + "fd" + "f8" + "f8" + "00",
	},
	{
		name: "baseline 640x360",
		sps:  "6742c01eda0280bfe584000003000400000300f23c58ba80", pps: "68ce0fc8",
		width: 640, height: 360, profile: 66,
		record: "01" + "42c01e" + "ff" + "e1" + "0018" + "6742c01eda0280bfe584000003000400000300f23c58ba80" +
			"01" + "0004" + "68ce0fc8",
	},
}

func TestAVCDecoderConfig(t *testing.T) {
	for _, c := range avcConfigCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := AVCDecoderConfig(unhex(t, c.sps), unhex(t, c.pps))
			if err != nil {
				t.Fatal(err)
			}
			want := unhex(t, c.record)
			if !bytes.Equal(got, want) {
				t.Fatalf("record\n got %x\nwant %x", got, want)
			}
			// Read it back field by field and hand the SPS to an
			// independent parser.
			if got[0] != 1 || got[4]&3 != 3 || got[5]&0x1f != 1 {
				t.Fatalf("header %x: version, length size or SPS count wrong", got[:6])
			}
			n := int(got[6])<<8 | int(got[7])
			sps := got[8 : 8+n]
			var s h264.SPS
			if err := s.Unmarshal(sps); err != nil {
				t.Fatal(err)
			}
			if s.Width() != c.width || s.Height() != c.height || s.ProfileIdc != c.profile {
				t.Fatalf("SPS says %dx%d profile %d, want %dx%d profile %d", s.Width(), s.Height(), s.ProfileIdc, c.width, c.height, c.profile)
			}
			rest := got[8+n:]
			if rest[0] != 1 {
				t.Fatalf("PPS count %d", rest[0])
			}
			m := int(rest[1])<<8 | int(rest[2])
			if !bytes.Equal(rest[3:3+m], unhex(t, c.pps)) {
				t.Fatalf("PPS %x", rest[3:3+m])
			}
		})
	}
}

func TestAVCDecoderConfigBadInput(t *testing.T) {
	for _, c := range []struct{ name, sps, pps string }{
		{"empty", "", ""},
		{"short sps", "6764", "68ef0fcb"},
		{"garbage sps", "67ffffffffffffffff", "68ef0fcb"},
		{"no pps", "6764000dacb40a0fd080000003008000001e478a1550", ""},
	} {
		if _, err := AVCDecoderConfig(unhex(t, c.sps), unhex(t, c.pps)); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

var ascCases = []struct {
	rate, channels int
	want           string
}{
	{44100, 2, "1210"},
	{44100, 1, "1208"},
	{48000, 2, "1190"},
	{48000, 1, "1188"},
	{22050, 1, "1388"},
	{96000, 2, "1010"},
	{8000, 1, "1588"},
}

func TestAudioSpecificConfig(t *testing.T) {
	// A rate with no sampling-frequency index, and impossible channel
	// counts, are errors rather than a wrong header.
	for _, c := range [][2]int{{44000, 2}, {0, 2}, {48000, 0}, {48000, 8}} {
		if b, err := AudioSpecificConfig(c[0], c[1]); !errors.Is(err, ErrConfig) {
			t.Errorf("AudioSpecificConfig(%d Hz, %d ch) = %x, %v; want ErrConfig", c[0], c[1], b, err)
		}
	}
	for _, c := range ascCases {
		got, err := AudioSpecificConfig(c.rate, c.channels)
		if err != nil {
			t.Fatalf("%d Hz %d ch: %v", c.rate, c.channels, err)
		}
		if hex.EncodeToString(got) != c.want {
			t.Errorf("%d Hz %d ch: got %x, want %s", c.rate, c.channels, got, c.want)
		}
		var asc mpeg4audio.AudioSpecificConfig
		if err := asc.Unmarshal(got); err != nil {
			t.Fatalf("%x: %v", got, err)
		}
		if asc.Type != mpeg4audio.ObjectTypeAACLC || asc.SampleRate != c.rate || asc.ChannelCount != c.channels {
			t.Errorf("%x parses as %+v", got, asc)
		}
	}
}
