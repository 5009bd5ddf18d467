package platform

import (
	"time"

	"github.com/golivecast/golivecast/encode"
)

// The platforms' numbers, with where each comes from, are in the
// README's "Platform presets and preflight". Platforms change them
// without notice: each function returns a fresh value that a program
// may adjust.

// YouTube returns YouTube Live's guidance for H.264 over RTMP(S).
// YouTube publishes recommended bitrate ranges rather than hard limits,
// and has changed them several times; the ranges here span the ones it
// has published, so that Check reports only a bitrate outside all of
// them, while Preset's bitrates lie inside each.
func YouTube() Platform {
	const k = encode.Kbps
	return Platform{
		Name:         "YouTube",
		Source:       "YouTube Help: Choose live encoder settings, bitrates, and resolutions",
		Hosts:        []string{"youtube.com"},
		MaxWidth:     3840,
		MaxHeight:    2160,
		MaxFrameRate: 60,
		Bitrates: []BitrateRange{
			{480, 30, 400 * k, 3000 * k, 8000 * k},
			{720, 30, 3000 * k, 4500 * k, 8000 * k},
			{720, 60, 3000 * k, 6000 * k, 8000 * k},
			{1080, 30, 3000 * k, 8000 * k, 14000 * k},
			{1080, 60, 4000 * k, 10000 * k, 17000 * k},
			{1440, 30, 5000 * k, 15000 * k, 25000 * k},
			{1440, 60, 6000 * k, 24000 * k, 34000 * k},
			{2160, 30, 8000 * k, 30000 * k, 42000 * k},
			{2160, 60, 10000 * k, 35000 * k, 50000 * k},
		},
		ConstantBitrate:     true,
		Profile:             "high",
		KeyframeInterval:    2 * time.Second,
		MaxKeyframeInterval: 4 * time.Second,
		ConstantFrameRate:   true,
		SampleRates:         []int{44100, 48000},
		Channels:            []int{2},
		SampleRate:          44100,
		AudioBitrate:        128 * k,
	}
}

// Twitch returns Twitch's guidance for a standard H.264 stream (not
// Enhanced Broadcasting). Twitch recommends one bitrate per size and
// frame rate, with no minimum, and caps video at 6 Mbit/s.
func Twitch() Platform {
	const k = encode.Kbps
	return Platform{
		Name:         "Twitch",
		Source:       "Twitch Broadcasting Guidelines",
		Hosts:        []string{"twitch.tv", "live-video.net"},
		MaxWidth:     1920,
		MaxHeight:    1080,
		MaxFrameRate: 60,
		FrameRates:   []float64{25, 30, 50, 60},
		Bitrates: []BitrateRange{
			{720, 30, 0, 3000 * k, 6000 * k},
			{720, 60, 0, 4500 * k, 6000 * k},
			{1080, 30, 0, 4500 * k, 6000 * k},
			{1080, 60, 0, 6000 * k, 6000 * k},
		},
		ConstantBitrate:     true,
		Profile:             "main",
		KeyframeInterval:    2 * time.Second,
		MinKeyframeInterval: 2 * time.Second,
		MaxKeyframeInterval: 2 * time.Second,
		ConstantFrameRate:   true,
		Channels:            []int{1, 2},
		MaxAudioBitrate:     160 * k,
		SampleRate:          48000,
		AudioBitrate:        128 * k,
	}
}

// FacebookLive returns Facebook Live's guidance for the Live Video API
// and streaming software: RTMPS only, audio and video both, and a
// bitrate range per size and frame rate, whose top Preset chooses (as
// Facebook's own automatic encoder configuration does).
func FacebookLive() Platform {
	const k = encode.Kbps
	return Platform{
		Name:         "Facebook Live",
		Source:       "Facebook Live Video API reference",
		Hosts:        []string{"facebook.com"},
		MaxWidth:     1920,
		MaxHeight:    1080,
		MaxFrameRate: 60,
		Bitrates: []BitrateRange{
			{360, 30, 400 * k, 1000 * k, 1000 * k},
			{480, 30, 600 * k, 2000 * k, 2000 * k},
			{720, 30, 1500 * k, 4000 * k, 4000 * k},
			{720, 60, 2250 * k, 6000 * k, 6000 * k},
			{1080, 30, 3000 * k, 6000 * k, 6000 * k},
			{1080, 60, 4500 * k, 9000 * k, 9000 * k},
		},
		ConstantBitrate:     true,
		Profiles:            []string{"main", "high"},
		Profile:             "high",
		KeyframeInterval:    2 * time.Second,
		MaxKeyframeInterval: 4 * time.Second,
		ConstantFrameRate:   true,
		RequireAudio:        true,
		SampleRates:         []int{44100, 48000},
		Channels:            []int{2},
		MaxAudioBitrate:     256 * k,
		SampleRate:          48000,
		AudioBitrate:        128 * k,
		RequireRTMPS:        true,
	}
}
