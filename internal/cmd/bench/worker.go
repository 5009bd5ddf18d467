//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/golivecast/golivecast/examples/counter/scene"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/rtmpsrc"
)

// The picture size, 1280x720 unless -size says otherwise, and x264's
// thread count, automatic (0) unless -threads says otherwise.
var (
	width, height = 1280, 720
	x264Threads   int
)

func sizeArg() string { return fmt.Sprintf("%dx%d", width, height) }

// The content every mode streams: the demo's picture and a tone.
const (
	fps           = 30
	sampleRate    = 44100
	channels      = 2
	toneHz        = 440
	toneAmplitude = 0.2
	presetName    = "veryfast"
	videoKbps     = 2500
	audioKbps     = 128
	jpegQuality   = 90
)

var audioFormat = capture.AudioFormat{SampleRate: sampleRate, Channels: channels}

// result is what one worker run measured; the parent adds the rest.
type result struct {
	Mode  string `json:"mode"`
	Build string `json:"x264_build"` // for the golivecast mode
	Run   int    `json:"run"`

	Wall    float64 `json:"wall_s"`       // the worker's whole life
	SelfCPU float64 `json:"self_cpu_s"`   // user+sys of the worker
	SelfHWM int64   `json:"self_hwm_kb"`  // the worker's peak RSS
	FFCPU   float64 `json:"ffmpeg_cpu_s"` // user+sys of ffmpeg (recipe)
	FFHWM   int64   `json:"ffmpeg_hwm_kb"`

	FramesSent int     `json:"frames_sent"` // pictures drawn and handed on
	AudioSent  float64 `json:"audio_sent_s"`
	// StartSkew (recipe) is the wall time from the first picture written
	// to ffmpeg to the first PCM written: ffmpeg stamps each input from
	// zero at its first byte, so this is how far the sound that plays
	// with a picture was made after it.
	StartSkew float64 `json:"start_skew_ms"`
	// VideoLate (recipe) is the largest delay of a picture's write after
	// its due time: ffmpeg's back-pressure on the video port.
	VideoLate float64 `json:"video_late_ms"`
	JPEGBytes int     `json:"jpeg_bytes_avg"`
	FFWarn    string  `json:"ffmpeg_log,omitempty"`

	// golivecast's own counters.
	Repeated   int64   `json:"frames_repeated"`
	SkipFrames int64   `json:"skip_frames"`
	VideoBytes int64   `json:"bytes_sent"`
	Dropped    int64   `json:"frames_dropped"`
	Silence    float64 `json:"silence_inserted_ms"`

	// Filled in by the parent.
	NginxCPU float64   `json:"nginx_cpu_s"`
	OtherCPU float64   `json:"other_cpu_s"` // machine busy time not ours
	Load     float64   `json:"loadavg_before"`
	Rec      recording `json:"recording"`
	RecErr   string    `json:"recording_error,omitempty"`
}

// worker streams one run to url and fills in what it measured itself.
func worker(mode, url string, d time.Duration, dests int) (*result, error) {
	start := time.Now()
	r := &result{Mode: mode, Build: x264Build}
	frames := int(d.Seconds()*fps + 0.5)
	sc, err := scene.New(width, height, fps, false)
	if err != nil {
		return nil, err
	}
	switch mode {
	case "golivecast":
		err = runGolivecast(r, url, d, frames, sc, dests)
	case "recipe":
		err = runRecipe(r, url, d, frames, sc, false, nil)
	case "recipe-turbo":
		// The recipe with libjpeg-turbo, as OpenCV's imencode does.
		err = runRecipe(r, url, d, frames, sc, true, nil)
	case "recipe-matched":
		// The recipe with golivecast's x264 and rate-control settings.
		err = runRecipe(r, url, d, frames, sc, false, matchedX264)
	case "ffmpeg-raw":
		// ffmpeg fed the raw pictures (RGBA, no JPEG) and PCM, with
		// golivecast's x264 settings: what golivecast does, in another
		// process.
		err = runRecipe(r, url, d, frames, sc, false, matchedX264, rawVideo)
	case "draw":
		err = runDraw(r, d, frames, sc)
	case "still":
		err = runStillMode(r, url, d, frames, sc, true)
	case "still-x264":
		err = runStillMode(r, url, d, frames, sc, false)
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		return nil, err
	}
	u, s := selfUsage()
	r.SelfCPU = (u + s).Seconds()
	r.SelfHWM = statusKB("self", "VmHWM")
	r.Wall = time.Since(start).Seconds()
	return r, nil
}

// runGolivecast is mode (a): the library, in process.
// With dests > 1, the one encode goes to dests destinations: url-1,
// url-2, ….
func runGolivecast(r *result, url string, d time.Duration, frames int, sc *scene.Scene, dests int) error {
	video := capture.Images(func(i int) image.Image {
		if i >= frames {
			return nil
		}
		return sc.Draw(i)
	})
	tone := capture.Tone(audioFormat, toneHz, toneAmplitude)
	tone.Duration = d
	var to []rtmpsrc.Destination
	for i := range dests {
		u := url
		if dests > 1 {
			u = fmt.Sprintf("%s-%d", url, i+1)
		}
		to = append(to, rtmpsrc.Destination{URL: u})
	}
	pub, err := rtmpsrc.New(rtmpsrc.Config{
		Destinations: to,
		Video:        video,
		Audio:        tone,
		VideoEncoder: benchH264(),
		AudioEncoder: encode.AACOptions{Bitrate: audioKbps * encode.Kbps},
	})
	if err != nil {
		return err
	}
	defer pub.Close()
	if err := pub.Run(context.Background()); err != nil {
		return err
	}
	fillStats(r, pub.Stats())
	return nil
}

// matchedX264 are golivecast's x264 and rate-control settings, for ffmpeg.
var matchedX264 = []string{
	"-tune", "zerolatency", "-g", strconv.Itoa(2 * fps), "-keyint_min", strconv.Itoa(2 * fps),
	"-sc_threshold", "0", "-maxrate", fmt.Sprintf("%dk", videoKbps), "-bufsize", fmt.Sprintf("%dk", videoKbps),
}

// rawVideo makes runRecipe write raw RGBA pictures instead of JPEG.
const rawVideo = true

// runRecipe is mode (b), the original recipe: every picture JPEG-encoded
// (or raw, with raw) and written to an ffmpeg subprocess over one local
// TCP port, the PCM over another; ffmpeg encodes and publishes.
func runRecipe(r *result, url string, d time.Duration, frames int, sc *scene.Scene, turbo bool, extra []string, raw ...bool) error {
	isRaw := len(raw) > 0 && raw[0]
	vl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer vl.Close()
	al, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer al.Close()

	videoIn := []string{"-f", "mjpeg", "-r", strconv.Itoa(fps)}
	if isRaw {
		videoIn = []string{"-f", "rawvideo", "-pix_fmt", "rgba", "-s", fmt.Sprintf("%dx%d", width, height), "-r", strconv.Itoa(fps)}
	}
	args := append([]string{"-hide_banner", "-nostdin", "-loglevel", "warning"}, videoIn...)
	args = append(args, "-i", "tcp://"+vl.Addr().String(),
		"-f", "s16le", "-ar", strconv.Itoa(sampleRate), "-ac", strconv.Itoa(channels), "-i", "tcp://"+al.Addr().String(),
		"-c:v", "libx264", "-preset", presetName, "-b:v", fmt.Sprintf("%dk", videoKbps))
	args = append(args, extra...)
	args = append(args, "-c:a", "aac", "-b:a", fmt.Sprintf("%dk", audioKbps), "-f", "flv", url)
	cmd := exec.Command("ffmpeg", args...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start ffmpeg: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	var (
		wg               sync.WaitGroup
		vErr, aErr       error
		firstV, firstA   time.Time
		late             time.Duration
		jpegBytes, sentV int
		sentA            int64
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		c, err := accept(vl)
		if err != nil {
			vErr = fmt.Errorf("video port: %w", err)
			return
		}
		defer c.Close()
		var buf bytes.Buffer
		t0 := time.Now()
		for i := range frames {
			due := t0.Add(time.Duration(i) * time.Second / fps)
			if w := time.Until(due); w > 0 {
				time.Sleep(w)
			} else {
				late = max(late, -w)
			}
			var n int
			if isRaw {
				n, err = c.Write(sc.Draw(i).(*image.RGBA).Pix)
			} else if turbo {
				n, err = writeJPEGTurbo(c, sc.Draw(i), jpegQuality)
			} else {
				buf.Reset()
				if err = jpeg.Encode(&buf, sc.Draw(i), &jpeg.Options{Quality: jpegQuality}); err == nil {
					n, err = c.Write(buf.Bytes())
				}
			}
			if err != nil {
				vErr = fmt.Errorf("video port: %w", err)
				return
			}
			if i == 0 {
				firstV = time.Now()
			}
			jpegBytes += n
			sentV++
		}
	}()
	go func() {
		defer wg.Done()
		c, err := accept(al)
		if err != nil {
			aErr = fmt.Errorf("audio port: %w", err)
			return
		}
		defer c.Close()
		tone := capture.Tone(audioFormat, toneHz, toneAmplitude)
		tone.Duration = d
		t0 := time.Now()
		for {
			due := t0.Add(samples(sentA))
			time.Sleep(time.Until(due))
			ch, err := tone.ReadAudio(context.Background())
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				aErr = err
				return
			}
			if _, err := c.Write(ch.Data); err != nil {
				aErr = fmt.Errorf("audio port: %w", err)
				return
			}
			if sentA == 0 {
				firstA = time.Now()
			}
			sentA += int64(len(ch.Data) / audioFormat.BytesPerFrame())
		}
	}()
	wg.Wait()
	// ffmpeg ends when both inputs have ended and it has flushed.
	var werr error
	select {
	case werr = <-exited:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		werr = errors.Join(errors.New("ffmpeg did not exit 60 s after its inputs ended"), <-exited)
	}
	r.FFWarn = strings.TrimSpace(log.String())
	if err := errors.Join(vErr, aErr); err != nil {
		return fmt.Errorf("%w (ffmpeg: %s)", err, r.FFWarn)
	}
	if werr != nil {
		return fmt.Errorf("ffmpeg: %w: %s", werr, r.FFWarn)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.FFCPU = (tv(ru.Utime) + tv(ru.Stime)).Seconds()
		r.FFHWM = ru.Maxrss // kB on Linux
	}
	r.FramesSent = sentV
	r.AudioSent = samples(sentA).Seconds()
	r.StartSkew = float64(firstA.Sub(firstV)) / float64(time.Millisecond)
	r.VideoLate = float64(late) / float64(time.Millisecond)
	if sentV > 0 {
		r.JPEGBytes = jpegBytes / sentV
	}
	return nil
}

func accept(l net.Listener) (net.Conn, error) {
	_ = l.(*net.TCPListener).SetDeadline(time.Now().Add(30 * time.Second))
	return l.Accept()
}

// runDraw is the baseline: the same pictures and tone made on the same
// schedule, and thrown away.
func runDraw(r *result, d time.Duration, frames int, sc *scene.Scene) error {
	tone := capture.Tone(audioFormat, toneHz, toneAmplitude)
	tone.Duration = d
	t0 := time.Now()
	var n int
	for i := range frames {
		time.Sleep(time.Until(t0.Add(time.Duration(i) * time.Second / fps)))
		sc.Draw(i)
		for samples(int64(n)) <= time.Duration(i+1)*time.Second/fps {
			ch, err := tone.ReadAudio(context.Background())
			if err != nil {
				break
			}
			n += len(ch.Data) / audioFormat.BytesPerFrame()
		}
		r.FramesSent++
	}
	r.AudioSent = samples(int64(n)).Seconds()
	return nil
}

// samples is the media time of n sample frames.
func samples(n int64) time.Duration {
	return time.Duration(n * int64(time.Second) / sampleRate)
}
