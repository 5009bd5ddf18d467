package rtmpsrc

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golivecast/golivecast/internal/testkit"
	amf0 "github.com/yutopp/go-amf0"
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

// AMF0 byte-exact cases, read back by go-amf0 as an independent decoder
// (which gives the value in its own form, amf0) and by ours (back).
var amfCases = []struct {
	name  string
	value any
	bytes string
	amf0  any
	back  any
}{
	{"number", 1.0, "00 3ff0000000000000", 1.0, 1.0},
	{"int", 5, "00 4014000000000000", 5.0, 5.0},
	{"true", true, "01 01", true, true},
	{"string", "live", "02 0004 6c697665", "live", "live"},
	{"null", nil, "05", nil, nil},
	{"object", amfObj{{"app", "live"}}, "03 0003 617070 02 0004 6c697665 000009",
		map[string]any{"app": "live"}, amfObj{{"app", "live"}}},
	{"ecma array", amfArray{{"width", 1280.0}}, "08 00000001 0005 7769647468 00 4094000000000000 000009",
		amf0.ECMAArray{"width": 1280.0}, amfArray{{"width", 1280.0}}},
}

func TestAMF0(t *testing.T) {
	for _, c := range amfCases {
		got := amfAppend(nil, c.value)
		if want := unhex(t, c.bytes); !bytes.Equal(got, want) {
			t.Errorf("%s: %x, want %x", c.name, got, want)
		}
		var v any
		if err := amf0.NewDecoder(bytes.NewReader(got)).Decode(&v); err != nil {
			t.Errorf("%s: go-amf0 cannot read it: %v", c.name, err)
		} else if !reflect.DeepEqual(v, c.amf0) {
			t.Errorf("%s: go-amf0 reads %#v, want %#v", c.name, v, c.amf0)
		}
		back, err := amfDecodeAll(got)
		if err != nil || len(back) != 1 || !reflect.DeepEqual(back[0], c.back) {
			t.Errorf("%s: decoded %#v (%v), want %#v", c.name, back, err, c.back)
		}
	}
}

func FuzzAMF0Decode(f *testing.F) {
	for _, c := range amfCases {
		f.Add(amfAppend(nil, c.value))
	}
	f.Add(amfAppend(nil, "_result", 1, nil, amfObj{{"level", "status"}, {"code", "NetConnection.Connect.Success"}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = amfDecodeAll(b) // must not panic or hang
	})
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
