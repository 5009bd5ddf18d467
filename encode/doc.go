// Package encode turns raw pictures and PCM into timestamped H.264 and
// AAC packets, in-process: H.264 through x264, AAC-LC through vo-aacenc.
//
// Each encoder also gives the decoder configuration a container needs
// before any media: the AVCDecoderConfigurationRecord for H.264 and the
// AudioSpecificConfig for AAC.
//
// # Pictures
//
// A 4:2:0 *image.YCbCr reaches x264 without a copy. *image.RGBA and
// *image.NRGBA are converted to 4:2:0 (BT.601 limited range) by C code
// that uses AVX2 or SSE2 when the CPU has them (5 to 10 times as fast as
// the Go reference it matches bit for bit) and NEON on arm64; any other
// image goes through its colour model, pixel by pixel. Once open, an
// encoder allocates no Go memory per picture for the first three.
//
// An encoder takes pictures of its configured size only. A Scaler writes
// a picture of any size into a 4:2:0 image of that size, as a Fit says:
// scaled and centred on black bars (FitLetterbox, the default), scaled to
// fill the frame (FitStretch), or refused (FitReject).
//
// # Repeated pictures
//
// H264.Repeat sends the last picture again. Where it can, it writes a P
// picture in which every macroblock is skipped (ITU-T H.264 7.3.3,
// 7.3.4) instead of calling x264: the decoder copies the last picture
// exactly, the frame is a few bytes long (before any filler) and costs
// almost no CPU. The slice is written for the stream x264 set up, from
// its SPS and PPS (CAVLC or CABAC, frame_num width, weighted prediction,
// deblocking control), and x264's later pictures have their frame_num
// moved to follow it. Keyframes still come every KeyframeInterval of
// pictures, repeats included: a repeat that falls on one is x264's IDR
// picture of that same picture sent again when x264 has encoded nothing
// since, and is encoded by x264 otherwise. Streams with B-frames, in
// timestamped mode, or with more than one reference frame (presets slower
// than veryfast) have their repeats encoded by x264; H264.SkipFrames says
// which applies.
//
// # Constant bitrate
//
// With Bitrate set and MaxBitrate equal to it, x264 pads the stream with
// filler data to the bitrate, as OBS's CBR does, so that a simple or
// still picture still sends the bitrate ingest platforms expect; skip
// frames are padded to their share too. H264Options.NoFiller turns this
// off.
//
// # Which x264
//
// x264-go bundles x264's C sources, built without assembly, so every
// program can encode. On Linux a default build also looks, once per
// process and at run time, for a system libx264 (libx264.so.165, .164,
// then libx264.so; Debian 12 and Ubuntu 24.04 ship build 164 as the
// package libx264-164), and uses it when it is usable: it has x264's
// assembly and encodes 2.5 to 3 times as fast. Nothing is needed at build
// time. A library is usable when its X264_BUILD is one whose structures
// were compared with the ones this package's Go code lays out (164 and
// 165), and when a check in the library itself agrees; a statically
// linked program never loads one. Otherwise the bundled x264 is used.
//
// X264Info says which library the encoders use and, for the bundled one,
// why no system library is; each H264 encoder logs it when it opens. The
// environment variable GOLIVECAST_X264 (see X264Env) overrides the
// choice: auto, bundled, system or the path of a library. Only auto falls
// back to the bundled x264: a library asked for by name that cannot be
// used is an error (ErrX264Library) from X264Info and NewH264.
//
// Built with -tags extlib, x264-go links the system libx264 directly
// (libx264-dev is then needed to build) and nothing is loaded: X264Info
// reports it as X264Linked.
package encode
