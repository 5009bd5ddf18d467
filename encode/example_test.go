package encode_test

import (
	"fmt"
	"image"
	"log"
	"time"

	"github.com/golivecast/golivecast/encode"
)

// Pictures in, AVCC access units with their times and keyframe flag out.
// The decoder configuration goes to the muxer before the first packet.
func ExampleNewH264() {
	enc, err := encode.NewH264(encode.H264Options{
		Width: 64, Height: 48,
		FrameRate: encode.Rational{Num: 25, Den: 1},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer enc.Close()

	img := image.NewGray(image.Rect(0, 0, 64, 48))
	var pkts []encode.Packet
	for i := range 5 {
		img.Pix[i] = 255
		out, err := enc.Encode(img, time.Duration(i)*time.Second/25)
		if err != nil {
			log.Fatal(err)
		}
		// The packets are valid until the next call: keep what is needed.
		for _, p := range out {
			p.Data = nil
			pkts = append(pkts, p)
		}
	}
	for {
		out, err := enc.Flush()
		if err != nil {
			log.Fatal(err)
		}
		if out == nil {
			break
		}
		pkts = append(pkts, out...)
	}
	fmt.Println("configuration version:", enc.DecoderConfig()[0])
	fmt.Println("packets:", len(pkts))
	for _, p := range pkts[:2] {
		fmt.Println("pts", p.PTS, "dts", p.DTS, "keyframe", p.Keyframe)
	}
	// Output:
	// configuration version: 1
	// packets: 5
	// pts 0s dts 0s keyframe true
	// pts 40ms dts 40ms keyframe false
}

// Which x264 the H.264 encoders use: a program can show it next to its
// other settings. GOLIVECAST_X264=bundled, system or a library's path
// overrides the choice.
func ExampleX264Info() {
	info, err := encode.X264Info()
	if err != nil {
		log.Fatal(err) // GOLIVECAST_X264 asked for a library that cannot be used
	}
	fmt.Println(info) // x264 build 164, system /lib/x86_64-linux-gnu/libx264.so.164, cpu: ... AVX2
	if info.Backend == encode.X264Bundled {
		fmt.Println("encoding without assembly:", info.Fallback)
	}
}

// The AudioSpecificConfig and the encoder delay a muxer needs before the
// first frame.
func ExampleNewAAC() {
	enc, err := encode.NewAAC(encode.AACOptions{SampleRate: 44100, Channels: 2})
	if err != nil {
		log.Fatal(err)
	}
	defer enc.Close()

	fmt.Printf("AudioSpecificConfig: %x\n", enc.DecoderConfig())
	fmt.Println("priming samples:", enc.PrimingSamples(), "=", enc.Delay().Round(time.Microsecond))

	pcm := make([]byte, 3*encode.AACFrameSamples*4) // 3 frames of stereo silence
	pkts, err := enc.Encode(pcm)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("packets from 3 frames:", len(pkts))
	// Output:
	// AudioSpecificConfig: 1210
	// priming samples: 1600 = 36.281ms
	// packets from 3 frames: 3
}
