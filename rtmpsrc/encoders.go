package rtmpsrc

import (
	"log/slog"
	"time"

	"github.com/golivecast/golivecast/encode"
)

// encoders are the stream's H.264 and AAC encoders (either may be nil),
// with what the muxer needs from them.
type encoders struct {
	h264 *encode.H264
	aac  *encode.AAC
	meta metadata
	// videoOffset and audioOffset are added to every timestamp of each
	// track to line them up (see openEncoders).
	videoOffset, audioOffset time.Duration
}

// openEncoders opens the encoders cfg asks for.
func openEncoders(cfg *Config, log *slog.Logger) (*encoders, error) {
	e := &encoders{}
	if cfg.Video != nil {
		opts := cfg.VideoEncoder
		if opts.Logger == nil {
			opts.Logger = log
		}
		h264, err := encode.NewH264(opts)
		if err != nil {
			return nil, err
		}
		e.h264 = h264
		if ok, why := h264.SkipFrames(); !ok {
			log.Info("rtmpsrc: repeated pictures are encoded by x264, not sent as skip frames", "why", why)
		}
		o := h264.Options()
		e.meta.hasVideo, e.meta.width, e.meta.height = true, o.Width, o.Height
		e.meta.frameRate = o.FrameRate.Float()
		e.meta.videoKbps = float64(o.Bitrate) / encode.Kbps
	}
	if cfg.Audio != nil {
		opts := cfg.AudioEncoder
		f := cfg.Audio.Format()
		opts.SampleRate, opts.Channels = f.SampleRate, f.Channels
		aac, err := encode.NewAAC(opts)
		if err != nil {
			e.close()
			return nil, err
		}
		e.aac = aac
		e.meta.hasAudio, e.meta.audioSampleRate, e.meta.audioChannels = true, f.SampleRate, f.Channels
		e.meta.audioKbps = float64(aac.Options().Bitrate) / encode.Kbps
	}
	// A decoder shows video Delay() late (B-frame reordering) and plays
	// audio PrimingSamples late: whichever is later, the other track is
	// pushed back to match, so that the first picture and the first real
	// sound play together.
	var vDelay, aDelay time.Duration
	if e.h264 != nil {
		vDelay = e.h264.Delay()
	}
	if e.aac != nil {
		aDelay = e.aac.Delay()
	}
	align := max(vDelay, aDelay)
	e.videoOffset = cfg.StartTime + align - vDelay
	e.audioOffset = cfg.StartTime + align - aDelay
	return e, nil
}

func (e *encoders) close() {
	if e.h264 != nil {
		e.h264.Close()
	}
	if e.aac != nil {
		e.aac.Close()
	}
}
