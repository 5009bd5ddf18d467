package rtmpsrc

import (
	"time"

	"github.com/golivecast/golivecast/internal/amf0"
)

// FLV tag bodies (Adobe Flash Video File Format Specification 10.1,
// E.4.2.1 AUDIODATA with E.4.2.2 AACAUDIODATA, E.4.3.1 VIDEODATA with
// E.4.3.2 AVCVIDEOPACKET). RTMP audio and video messages carry exactly
// these bodies.

const (
	flvTagAudio  = 8
	flvTagVideo  = 9
	flvTagScript = 18
)

// aacHeader is the first byte of an AAC audio tag: SoundFormat 10 (AAC),
// SoundRate 3 (44 kHz), SoundSize 1 (16-bit), SoundType 1 (stereo).
// E.4.2.1 says AAC is always written this way; the AudioSpecificConfig
// carries the real rate and channel count.
const aacHeader = 0xaf

// appendAudioTag appends an AAC tag body; seqHeader marks the
// AudioSpecificConfig.
func appendAudioTag(b []byte, seqHeader bool, data []byte) []byte {
	pt := byte(1)
	if seqHeader {
		pt = 0
	}
	b = append(b, aacHeader, pt)
	return append(b, data...)
}

// appendVideoTag appends an AVC tag body: frame type (1 key, 2 inter),
// codec 7, AVCPacketType (0 sequence header, 1 NALU, 2 end of sequence)
// and the signed 24-bit composition time in milliseconds.
func appendVideoTag(b []byte, key bool, packetType byte, cts int32, data []byte) []byte {
	ft := byte(2)
	if key {
		ft = 1
	}
	b = append(b, ft<<4|7, packetType, byte(cts>>16), byte(cts>>8), byte(cts))
	return append(b, data...)
}

// metadata is what onMetaData announces (E.5).
type metadata struct {
	width, height   int
	frameRate       float64
	videoKbps       float64
	hasVideo        bool
	audioSampleRate int
	audioChannels   int
	audioKbps       float64
	hasAudio        bool
}

// encoderName is onMetaData's "encoder".
const encoderName = "golivecast"

// array is the onMetaData ECMA array, with the fields ingest servers read
// in the order OBS sends them. duration and fileSize are 0 for a live
// stream; some servers and players expect the keys.
func (m metadata) array() amf0.ECMAArray {
	a := amf0.ECMAArray{{Key: "duration", Value: 0.0}, {Key: "fileSize", Value: 0.0}}
	if m.hasVideo {
		a = append(a,
			amf0.Prop{Key: "width", Value: float64(m.width)},
			amf0.Prop{Key: "height", Value: float64(m.height)},
			amf0.Prop{Key: "framerate", Value: m.frameRate},
			amf0.Prop{Key: "videocodecid", Value: 7.0},
			amf0.Prop{Key: "videodatarate", Value: m.videoKbps},
		)
	}
	if m.hasAudio {
		a = append(a,
			amf0.Prop{Key: "audiocodecid", Value: 10.0},
			amf0.Prop{Key: "audiosamplerate", Value: float64(m.audioSampleRate)},
			amf0.Prop{Key: "audiosamplesize", Value: 16.0},
			amf0.Prop{Key: "audiochannels", Value: float64(m.audioChannels)},
			amf0.Prop{Key: "stereo", Value: m.audioChannels == 2},
			amf0.Prop{Key: "audiodatarate", Value: m.audioKbps},
		)
	}
	return append(a, amf0.Prop{Key: "encoder", Value: encoderName})
}

// setDataFrame is the RTMP data message body that sets the metadata. A
// file holds onMetaData without the @setDataFrame (the file sink strips
// it).
func (m metadata) setDataFrame() []byte {
	return amf0.Append(nil, "@setDataFrame", "onMetaData", m.array())
}

// flvHeader is the file header (E.2) with audio and/or video flags and
// PreviousTagSize0.
func flvHeader(audio, video bool) []byte {
	flags := byte(0)
	if audio {
		flags |= 4
	}
	if video {
		flags |= 1
	}
	return []byte{'F', 'L', 'V', 1, flags, 0, 0, 0, 9, 0, 0, 0, 0}
}

// appendFLVTagHeader appends the 11-byte header of a tag whose body is n
// bytes long.
func appendFLVTagHeader(b []byte, typ byte, ts uint32, n int) []byte {
	return append(b, typ, byte(n>>16), byte(n>>8), byte(n),
		byte(ts>>16), byte(ts>>8), byte(ts), byte(ts>>24), 0, 0, 0)
}

// millis converts media time to the 32-bit millisecond clock of RTMP and
// FLV, wrapping as they do.
func millis(d time.Duration) uint32 { return uint32(d / time.Millisecond) }
