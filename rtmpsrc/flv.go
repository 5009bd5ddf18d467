package rtmpsrc

import (
	"encoding/binary"
	"time"
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

// Metadata is what onMetaData announces.
type Metadata struct {
	Width, Height   int
	FrameRate       float64
	VideoKbps       float64
	HasVideo        bool
	AudioSampleRate int
	AudioChannels   int
	AudioKbps       float64
	HasAudio        bool
	Encoder         string
}

// metadataArray is the onMetaData ECMA array (E.5), with the fields
// ingest servers read.
func (m Metadata) metadataArray() amfArray {
	// duration and fileSize are 0 for a live stream, as OBS sends them;
	// some servers and players expect the keys.
	a := amfArray{{"duration", 0.0}, {"fileSize", 0.0}}
	if m.HasVideo {
		a = append(a,
			amfProp{"width", float64(m.Width)},
			amfProp{"height", float64(m.Height)},
			amfProp{"framerate", m.FrameRate},
			amfProp{"videocodecid", 7.0},
			amfProp{"videodatarate", m.VideoKbps},
		)
	}
	if m.HasAudio {
		a = append(a,
			amfProp{"audiocodecid", 10.0},
			amfProp{"audiosamplerate", float64(m.AudioSampleRate)},
			amfProp{"audiosamplesize", 16.0},
			amfProp{"audiochannels", float64(m.AudioChannels)},
			amfProp{"stereo", m.AudioChannels == 2},
			amfProp{"audiodatarate", m.AudioKbps},
		)
	}
	return append(a, amfProp{"encoder", m.Encoder})
}

// setDataFrame is the RTMP data message body that sets the metadata.
func (m Metadata) setDataFrame() []byte {
	return amfAppend(nil, "@setDataFrame", "onMetaData", m.metadataArray())
}

// scriptTag is the FLV file form: onMetaData without @setDataFrame.
func (m Metadata) scriptTag() []byte {
	return amfAppend(nil, "onMetaData", m.metadataArray())
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

// appendFLVTag appends one tag (E.4.1) and its PreviousTagSize. The
// timestamp is milliseconds in 24 bits plus an extension byte.
func appendFLVTag(b []byte, typ byte, ts uint32, body []byte) []byte {
	b = appendFLVTagHeader(b, typ, ts, len(body))
	b = append(b, body...)
	return binary.BigEndian.AppendUint32(b, uint32(11+len(body)))
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
