// Package platform holds what the big ingest platforms (YouTube Live,
// Twitch, Facebook Live) publish about the streams they take, and checks
// a publisher's configuration against it before going live.
//
// Preset gives encoder options to start from for a picture size and frame
// rate: the platform's recommended constant bitrate, keyframe interval
// and H.264 profile, and AAC at its sample rate and bitrate. Check and
// Preflight report each setting of an rtmpsrc.Config that a platform's
// published rules reject, with the rule and where the platform publishes
// it. The numbers and their sources are in the README; platforms change
// them without notice, and a program can adjust a copy of a Platform.
package platform
