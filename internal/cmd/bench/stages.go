//go:build linux

package main

import (
	"context"
	"fmt"
	"image"
	"os"
	"slices"
	"time"

	"golang.org/x/sys/unix"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/examples/counter/scene"
	"github.com/golivecast/golivecast/internal/nginx"
	"github.com/golivecast/golivecast/rtmpsrc"
	"github.com/golivecast/golivecast/rtmptest"
)

// The stages mode splits golivecast's CPU time per frame of the demo's
// content between its stages, in this process, with the process CPU
// clock (every thread, x264's included):
//
//	drawing      the scene, alone
//	conversion   drawing and RGBA to 4:2:0, less drawing
//	x264         drawing, conversion and H.264 paced at the frame rate
//	             (x264's threads sleep and wake each frame, which costs
//	             more than encoding back to back), less both
//	AAC          the tone encoded, per frame interval
//	the rest     the whole publisher streaming live to nginx-rtmp for
//	             -duration, less the four above: muxing, the send queue,
//	             the socket, pacing and the Go runtime
//
// It then times pictures pushed into a VideoPush, from the push to their
// arrival at an in-process RTMP server on loopback: conversion, encoding,
// muxing, queueing and the socket. In timestamped mode x264 holds each
// picture until the next arrives (it needs the next time stamp to know
// how long a picture lasts), so the latency there includes one frame
// interval.

// cpuNow is the CPU time of the whole process so far.
func cpuNow() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		panic(err)
	}
	return time.Duration(ts.Nano())
}

func runStages(d time.Duration) error {
	frames := int(d.Seconds()*fps + 0.5)
	sc, err := scene.New(width, height, fps, false)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: stages, %d frames of %dx%d; golivecast links %s\n", frames, width, height, x264Build)
	own := image.NewYCbCr(image.Rect(0, 0, width, height), image.YCbCrSubsampleRatio420)
	pass := func(convert, h264, paced bool) (time.Duration, error) {
		var enc *encode.H264
		if h264 {
			var err error
			if enc, err = encode.NewH264(benchH264()); err != nil {
				return 0, err
			}
			defer enc.Close()
		}
		t0, start := cpuNow(), time.Now()
		for i := range frames {
			if paced {
				time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / fps)))
			}
			img := sc.Draw(i)
			if convert {
				if err := encode.ToI420(own, img); err != nil {
					return 0, err
				}
			}
			if enc != nil {
				if _, err := enc.Encode(own, time.Duration(i)*time.Second/fps); err != nil {
					return 0, err
				}
			}
		}
		return cpuNow() - t0, nil
	}
	draw, err := pass(false, false, false)
	if err != nil {
		return err
	}
	drawConv, err := pass(true, false, false)
	if err != nil {
		return err
	}
	drawConvX264, err := pass(true, true, false)
	if err != nil {
		return err
	}
	// x264 paced as a live stream paces it costs more: its threads sleep
	// and wake every frame.
	drawConvX264Paced, err := pass(true, true, true)
	if err != nil {
		return err
	}
	aac, err := aacCPU(d)
	if err != nil {
		return err
	}
	whole, err := publisherCPU(d, sc)
	if err != nil {
		return err
	}
	per := func(c time.Duration) float64 { return float64(c) / float64(frames) / float64(time.Millisecond) }
	stages := []struct {
		name string
		cpu  time.Duration
	}{
		{"drawing", draw},
		{"conversion (RGBA to 4:2:0)", drawConv - draw},
		{"x264, paced at the frame rate", drawConvX264Paced - drawConv},
		{"AAC", aac},
		{"mux, send queue, socket, runtime", whole - drawConvX264Paced - aac},
	}
	fmt.Printf("\nCPU per frame, %dx%d at %d fps, %d frames (%s):\n", width, height, fps, frames, x264Build)
	for _, s := range stages {
		fmt.Printf("  %-34s %7.2f ms  %5.1f%%\n", s.name, per(s.cpu), 100*float64(s.cpu)/float64(whole))
	}
	fmt.Printf("  %-34s %7.2f ms  (%.0f%% of one core at %d fps)\n", "whole publisher", per(whole), 100*per(whole)*fps/1000, fps)
	fmt.Printf("  (x264 back to back, not paced: %.2f ms)\n", per(drawConvX264-drawConv))

	for _, c := range []struct {
		timestamped bool
		what        string
	}{
		{false, "push to server"},
		{true, "push to server, timestamped mode"},
	} {
		lat, err := pushLatency(d, sc, c.timestamped)
		if err != nil {
			return err
		}
		slices.Sort(lat)
		q := func(f float64) string { return ms(lat[int(f*float64(len(lat)-1))]) }
		fmt.Printf("  %-34s p50 %s ms, p99 %s ms, worst %s ms (%d pictures, loopback)\n", c.what, q(0.5), q(0.99), q(1), len(lat))
	}
	return nil
}

// aacCPU is the CPU time AAC takes for d of the tone.
func aacCPU(d time.Duration) (time.Duration, error) {
	enc, err := encode.NewAAC(encode.AACOptions{SampleRate: sampleRate, Channels: channels, Bitrate: audioKbps * encode.Kbps})
	if err != nil {
		return 0, err
	}
	defer enc.Close()
	tone := capture.Tone(audioFormat, toneHz, toneAmplitude)
	tone.Duration = d
	t0 := cpuNow()
	for {
		c, err := tone.ReadAudio(context.Background())
		if err != nil {
			break
		}
		if _, err := enc.Encode(c.Data); err != nil {
			return 0, err
		}
	}
	return cpuNow() - t0, nil
}

// publisherCPU is the CPU time of the whole publisher streaming the
// content live to nginx-rtmp, a process of its own.
func publisherCPU(d time.Duration, sc *scene.Scene) (time.Duration, error) {
	dir, err := os.MkdirTemp("", "golivecast-stages-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	ng, err := nginx.Start(dir, nginx.Options{})
	if err != nil {
		return 0, err
	}
	defer ng.Stop()
	frames := int(d.Seconds()*fps + 0.5)
	video := capture.Images(func(i int) image.Image {
		if i >= frames {
			return nil
		}
		return sc.Draw(i)
	})
	tone := capture.Tone(audioFormat, toneHz, toneAmplitude)
	pub, err := rtmpsrc.New(rtmpsrc.Config{
		URL:          "rtmp://" + ng.Addr() + "/live/stages",
		Video:        video,
		Audio:        tone,
		VideoEncoder: benchH264(),
		AudioEncoder: encode.AACOptions{Bitrate: audioKbps * encode.Kbps},
	})
	if err != nil {
		return 0, err
	}
	defer pub.Close()
	t0 := cpuNow()
	if err := pub.Run(context.Background()); err != nil {
		return 0, err
	}
	return cpuNow() - t0, nil
}

// pushLatency pushes the content at fps for d into a VideoPush and
// returns, for each picture, how long after its push it arrived at an
// in-process RTMP server. In constant-frame-rate mode each picture is
// pushed 2 ms before its frame's tick, so that frame k shows picture k
// (checked: no picture superseded, no frame repeated); in timestamped
// mode each picture's time stamp is its push time.
func pushLatency(d time.Duration, sc *scene.Scene, timestamped bool) ([]time.Duration, error) {
	srv, err := rtmptest.Start(rtmptest.Config{DropPayloads: true})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	push := capture.NewVideoPush()
	opts := benchH264()
	opts.Timestamped = timestamped
	pub, err := rtmpsrc.New(rtmpsrc.Config{URL: srv.URL("live", "latency"), Video: push, VideoEncoder: opts})
	if err != nil {
		return nil, err
	}
	defer pub.Close()
	errc := make(chan error, 1)
	go func() { errc <- pub.Run(context.Background()) }()
	select {
	case <-pub.Started():
	case err := <-errc:
		return nil, err
	}
	start := pub.StartedAt()
	frames := int(d.Seconds()*fps + 0.5)
	pushed := make([]time.Time, frames)
	for i := range frames {
		img := sc.Draw(i)
		time.Sleep(time.Until(start.Add(time.Duration(i)*time.Second/fps - 2*time.Millisecond)))
		pushed[i] = time.Now()
		if err := push.WriteVideo(capture.Frame{Image: img, PTS: pushed[i].Sub(pushed[0])}); err != nil {
			return nil, err
		}
	}
	push.Close()
	if err := <-errc; err != nil {
		return nil, err
	}
	if n, r := push.Stats().Superseded, pub.Stats().Video.Repeated; !timestamped && (n != 0 || r != 0) {
		return nil, fmt.Errorf("%d pictures superseded and %d frames repeated: the machine is too busy to pair frames with pictures", n, r)
	}
	var lat []time.Duration
	for _, e := range srv.Events() {
		if e.VideoFrame() {
			lat = append(lat, e.Arrived.Sub(pushed[len(lat)]))
		}
	}
	if len(lat) != frames {
		return nil, fmt.Errorf("%d of %d pictures reached the server (%d superseded in the VideoPush, the loop taking them too late)", len(lat), frames, push.Stats().Superseded)
	}
	return lat, nil
}
