package rtmpsrc

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/golivecast/golivecast/internal/testkit"
	flvtag "github.com/yutopp/go-flv/tag"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Chunking cases: type-0 header, continuation chunks, and the extended
// timestamp repeated in every continuation (5.3.1.3).
var chunkCases = []struct {
	name    string
	csid    int
	typ     byte
	stream  uint32
	ts      uint32
	size    int
	payload string
	bytes   string
}{
	{"one chunk", 6, 8, 1, 0x010203, 128, "aabb",
		"06 010203 000002 08 01000000 aabb"},
	{"two chunks", 7, 9, 1, 40, 2, "112233",
		"07 000028 000003 09 01000000 1122 c7 33"},
	{"extended timestamp", 7, 9, 1, 0x01000000, 2, "112233",
		"07 ffffff 000003 09 01000000 01000000 1122 c7 01000000 33"},
	{"at the limit", 6, 8, 1, 0xffffff, 128, "aa",
		"06 ffffff 000001 08 01000000 00ffffff aa"},
}

func TestChunkWriter(t *testing.T) {
	for _, c := range chunkCases {
		var buf bytes.Buffer
		bw := bufio.NewWriter(&buf)
		cw := chunkWriter{w: bw, size: c.size}
		if err := cw.writeMessage(c.csid, c.typ, c.stream, c.ts, unhex(t, c.payload)); err != nil {
			t.Fatal(err)
		}
		bw.Flush()
		if want := unhex(t, c.bytes); !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s:\n got %x\nwant %x", c.name, buf.Bytes(), want)
		}
		// Read back with our reader at the same chunk size.
		cr := newChunkReader(bytes.NewReader(buf.Bytes()))
		cr.size = c.size
		m, err := cr.readMessage()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if m.typ != c.typ || m.streamID != c.stream || m.timestamp != c.ts || !bytes.Equal(m.payload, unhex(t, c.payload)) {
			t.Errorf("%s: read back %+v", c.name, m)
		}
	}
}

func FuzzChunkReader(f *testing.F) {
	for _, c := range chunkCases {
		f.Add(unhex(f, c.bytes))
	}
	for _, c := range lenientCases {
		f.Add(unhex(f, c.bytes))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cr := newChunkReader(bytes.NewReader(b))
		for i := 0; i < 100; i++ {
			m, err := cr.readMessage()
			if err != nil {
				return
			}
			if m.typ == msgSetChunkSize {
				if cr.setChunkSize(m.payload) != nil {
					return
				}
			}
		}
	})
}

// TestFLVSink writes a stream through the file sink and reads it back
// with go-flv's decoder.
func TestFLVFile(t *testing.T) {
	var buf bytes.Buffer
	f := newFLVFile(&buf, true, true)
	meta := metadata{hasVideo: true, width: 640, height: 360, frameRate: 30, hasAudio: true, audioSampleRate: 48000, audioChannels: 2}
	for _, tg := range []tag{
		{typ: flvTagScript, header: true, body: bodyOf(meta.setDataFrame())},
		{typ: flvTagVideo, header: true, body: bodyOf(appendVideoTag(nil, true, 0, 0, []byte{1, 2, 3}))},
		{typ: flvTagAudio, header: true, body: bodyOf(appendAudioTag(nil, true, []byte{0x11, 0x90}))},
		{typ: flvTagVideo, dts: 0x01000005 * time.Millisecond, body: bodyOf(appendVideoTag(nil, false, 1, 33, []byte{0, 0, 0, 1, 9}))},
	} {
		if err := f.writeTag(tg); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), unhex(t, "464c5601 05 00000009 00000000")) {
		t.Fatalf("header %x", buf.Bytes()[:13])
	}
	tags := testkit.ReadFLV(t, buf.Bytes())
	if len(tags) != 4 {
		t.Fatalf("%d tags read back, want 4", len(tags))
	}
	// The file holds onMetaData itself, without RTMP's @setDataFrame.
	if md := tags[0].Script["onMetaData"]; md["width"] != 640.0 || md["audiosamplerate"] != 48000.0 || md["stereo"] != true || md["audiochannels"] != 2.0 || md["encoder"] != "golivecast" {
		t.Errorf("onMetaData %v", tags[0].Script)
	}
	v := tags[3].Video
	if tags[3].Timestamp != 0x01000005 || v.CompositionTime != 33 || v.FrameType != flvtag.FrameTypeInterFrame || v.AVCPacketType != flvtag.AVCPacketTypeNALU {
		t.Errorf("video tag: ts %x %+v", tags[3].Timestamp, v)
	}
	a := tags[2].Audio
	if a.SoundFormat != flvtag.SoundFormatAAC || a.AACPacketType != flvtag.AACPacketTypeSequenceHeader {
		t.Errorf("audio tag %+v", a)
	}
}
