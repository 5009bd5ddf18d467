package encode

// aacRates are the sampling frequencies of ISO/IEC 14496-3 table 1.18,
// by samplingFrequencyIndex.
var aacRates = [...]int{96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350}

func aacRateIndex(rate int) (int, bool) {
	for i, r := range aacRates {
		if r == rate && r != 7350 {
			return i, true
		}
	}
	return 0, false
}

// AudioSpecificConfig returns the two-byte AudioSpecificConfig (ISO/IEC
// 14496-3 1.6.2.1) of an AAC-LC stream: audioObjectType 2 (5 bits),
// samplingFrequencyIndex (4 bits), channelConfiguration (4 bits) and a
// GASpecificConfig of three zero bits. The rate must be one of the AAC
// rates and channels 1 to 7.
func AudioSpecificConfig(sampleRate, channels int) []byte {
	idx, _ := aacRateIndex(sampleRate)
	v := uint16(2)<<11 | uint16(idx)<<7 | uint16(channels&0xf)<<3
	return []byte{byte(v >> 8), byte(v)}
}
