// Package testkit is the test tooling shared by golivecast's packages:
//
//   - the CI-or-skip rule: a test whose tool (ffmpeg, nginx, PulseAudio)
//     is missing fails under CI=true, where .ci/run installs it, and is
//     skipped elsewhere (RequireTools, Missing);
//   - waiting on a condition with a deadline instead of sleeping
//     (Eventually);
//   - ffprobe and ffmpeg as an independent decoder (Streams, Packets,
//     DecodeErrors, VideoLuma, AudioPCM);
//   - reading FLV files back with go-flv (ReadFLV) and checking what a
//     recording holds (CheckRecording, CheckLipSync);
//   - nginx with the RTMP module for a test (StartNginx);
//   - signal analysis of decoded PCM (Channel, Goertzel, RMS, …).
//
// It imports none of the project's public packages, so that their own
// tests can use it.
package testkit
