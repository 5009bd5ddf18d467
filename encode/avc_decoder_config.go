package encode

import (
	"fmt"

	"github.com/bluenviron/mediacommon/pkg/codecs/h264"
)

// AVCDecoderConfig builds an AVCDecoderConfigurationRecord (ISO/IEC
// 14496-15, 5.3.3.1) holding one SPS and one PPS, with 4-byte NAL unit
// lengths. For the High profiles it carries the chroma format and bit
// depths the SPS declares, as the record requires for profile_idc 100,
// 110, 122 and 144.
func AVCDecoderConfig(sps, pps []byte) ([]byte, error) {
	if len(sps) < 4 || len(pps) < 1 {
		return nil, fmt.Errorf("encode: SPS (%d bytes) or PPS (%d bytes) too short", len(sps), len(pps))
	}
	if len(sps) > 0xffff || len(pps) > 0xffff {
		return nil, fmt.Errorf("encode: SPS (%d bytes) or PPS (%d bytes) too long", len(sps), len(pps))
	}
	var s h264.SPS
	if err := s.Unmarshal(sps); err != nil {
		return nil, fmt.Errorf("encode: invalid SPS: %w", err)
	}
	out := make([]byte, 0, 11+len(sps)+len(pps)+4)
	out = append(out,
		1,      // configurationVersion
		sps[1], // AVCProfileIndication
		sps[2], // profile_compatibility
		sps[3], // AVCLevelIndication
		0xfc|3, // reserved, lengthSizeMinusOne = 3
		0xe0|1, // reserved, numOfSequenceParameterSets = 1
		byte(len(sps)>>8), byte(len(sps)))
	out = append(out, sps...)
	out = append(out, 1, byte(len(pps)>>8), byte(len(pps)))
	out = append(out, pps...)
	switch s.ProfileIdc {
	case 100, 110, 122, 144:
		out = append(out,
			0xfc|byte(s.ChromaFormatIdc&3),
			0xf8|byte(s.BitDepthLumaMinus8&7),
			0xf8|byte(s.BitDepthChromaMinus8&7),
			0) // numOfSequenceParameterSetExt
	}
	return out, nil
}
