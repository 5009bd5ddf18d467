package rtmpsrc

import (
	"bytes"
	"testing"
	"time"

	"github.com/golivecast/golivecast/internal/testkit"
	flvtag "github.com/yutopp/go-flv/tag"
)

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
	if !bytes.HasPrefix(buf.Bytes(), []byte{0x46, 0x4c, 0x56, 0x01, 0x05, 0, 0, 0, 9, 0, 0, 0, 0}) {
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
