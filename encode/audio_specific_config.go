package encode

import (
	"fmt"

	"github.com/bluenviron/mediacommon/pkg/codecs/mpeg4audio"
)

// aacRates are the sampling frequencies an AAC-LC stream of ours may use
// (ISO/IEC 14496-3 table 1.18, without 7350 Hz, which vo-aacenc lacks).
var aacRates = []int{8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000}

// AudioSpecificConfig returns the AudioSpecificConfig (ISO/IEC 14496-3
// 1.6.2.1) of an AAC-LC stream, as mediacommon marshals it: two bytes for
// the standard rates, such as 12 10 for 44.1 kHz stereo. A rate that has
// no sampling-frequency index, or a channel count outside 1–7, is an
// error wrapping ErrConfig.
func AudioSpecificConfig(sampleRate, channels int) ([]byte, error) {
	if channels < 1 || channels > 7 {
		return nil, fmt.Errorf("%w: %d AAC channels (want 1 to 7)", ErrConfig, channels)
	}
	cfg := mpeg4audio.AudioSpecificConfig{
		Type:         mpeg4audio.ObjectTypeAACLC,
		SampleRate:   sampleRate,
		ChannelCount: channels,
	}
	b, err := cfg.Marshal()
	if err != nil {
		return nil, fmt.Errorf("%w: AudioSpecificConfig for %d Hz, %d channels: %w", ErrConfig, sampleRate, channels, err)
	}
	if len(b) != 2 {
		// Marshal spells out a rate with no index in 24 bits; FLV
		// players expect the two-byte form.
		return nil, fmt.Errorf("%w: %d Hz is not a standard AAC sampling rate", ErrConfig, sampleRate)
	}
	return b, nil
}
