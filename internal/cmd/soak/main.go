// Command soak streams a long stretch of media through a publisher's FLV
// file sink as fast as the encoders go, and checks that memory and
// goroutines stay flat: a leak of one buffer or goroutine per frame or
// packet shows within minutes of media.
//
// It prints the resident set size (VmRSS), the Go heap and the number of
// goroutines before Run, at the end of the warm-up, every -every of media,
// at the end of the media and after Run has returned. It exits 1 when the
// RSS at the end exceeds the warm-up figure by more than -rss-growth (50%),
// when the goroutines grew while streaming, or when Run left goroutines
// behind. The warm-up figure is the baseline because the encoders and
// buffers are allocated once at the start; growth after that is a leak.
//
//	go run ./internal/cmd/soak -duration 5m
//	go run ./internal/cmd/soak               # one hour of media
//
// It needs Linux (/proc/self/status).
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/rtmpsrc"
)

func main() {
	var (
		duration  = flag.Duration("duration", time.Hour, "media time to stream")
		every     = flag.Duration("every", 5*time.Minute, "report every this much media time")
		warmup    = flag.Duration("warmup", time.Minute, "media time after which the baseline is taken")
		width     = flag.Int("width", 160, "picture width")
		height    = flag.Int("height", 90, "picture height")
		fps       = flag.Int("fps", 30, "frame rate")
		preset    = flag.String("preset", "ultrafast", "x264 preset")
		out       = flag.String("out", "", "FLV file to write (default: discard)")
		rssGrowth = flag.Float64("rss-growth", 0.5, "allowed RSS growth after the warm-up, as a fraction")
	)
	flag.Parse()
	if err := run(*duration, *every, *warmup, *width, *height, *fps, *preset, *out, *rssGrowth); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

// sample is one line of the report.
type sample struct {
	label      string
	media      time.Duration
	wall       time.Duration
	rssKB      int64
	heapKB     uint64
	goroutines int
	frames     int64
	audio      int64
}

func take(label string, start time.Time, st rtmpsrc.Stats) sample {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return sample{
		label:      label,
		media:      st.MediaTime,
		wall:       time.Since(start),
		rssKB:      rssKB(),
		heapKB:     ms.HeapInuse >> 10,
		goroutines: runtime.NumGoroutine(),
		frames:     st.Video.Muxed,
		audio:      st.Audio.Muxed,
	}
}

func (s sample) print() {
	fmt.Printf("%-8s media %-9v wall %-9v rss %7d kB  heap %6d kB  goroutines %3d  frames %7d  audio %7d\n",
		s.label, s.media.Round(time.Second), s.wall.Round(100*time.Millisecond), s.rssKB, s.heapKB, s.goroutines, s.frames, s.audio)
}

func run(duration, every, warmup time.Duration, w, h, fps int, preset, outPath string, rssGrowth float64) error {
	if warmup >= duration {
		warmup = duration / 5
	}
	var out io.Writer = io.Discard
	if outPath != "" {
		f, err := os.Create(outPath)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	}
	frames := int(duration * time.Duration(fps) / time.Second)
	video := capture.Images(func(i int) image.Image {
		if i >= frames {
			return nil
		}
		// A new picture each time: the publisher reads one ahead of the
		// encoder, so a reused buffer would be drawn over while encoded.
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		x := i % w
		for y := range h {
			img.SetRGBA(x, y, color.RGBA{255, 255, 255, 255})
		}
		return img
	})
	tone := capture.Tone(capture.AudioFormat{SampleRate: 44100, Channels: 2}, 440, 0.3)
	tone.Duration = duration

	p, err := rtmpsrc.New(rtmpsrc.Config{
		Output:       out,
		Video:        video,
		Audio:        tone,
		VideoEncoder: encode.H264Options{Width: w, Height: h, FrameRate: encode.Rational{Num: fps, Den: 1}, Preset: preset},
	})
	if err != nil {
		return err
	}
	fmt.Printf("soak: %v of media, %dx%d at %d fps, preset %s, 440 Hz tone 44.1 kHz stereo, FLV to %s\n",
		duration, w, h, fps, preset, map[bool]string{true: "discard", false: outPath}[outPath == ""])

	start := time.Now()
	before := take("start", start, rtmpsrc.Stats{})
	before.print()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()

	var (
		samples []sample
		next    = warmup
		runErr  error
	)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case runErr = <-errc:
			done = true
		case <-tick.C:
			st := p.Stats()
			if st.MediaTime < next {
				continue
			}
			label := "media"
			if len(samples) == 0 {
				label = "warm"
			}
			s := take(label, start, st)
			s.print()
			samples = append(samples, s)
			if next == warmup && every > warmup {
				next = every
			} else {
				next += every
			}
		}
	}
	end := take("end", start, p.Stats())
	end.print()
	if runErr != nil {
		return fmt.Errorf("publisher: %w", runErr)
	}
	// Let the goroutines that Run waited for finish exiting.
	var after sample
	for i := 0; i < 50; i++ {
		after = take("after", start, p.Stats())
		if after.goroutines <= before.goroutines {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	after.print()

	var failures []string
	if len(samples) > 0 {
		base := samples[0]
		last := samples[len(samples)-1]
		limit := int64(float64(base.rssKB) * (1 + rssGrowth))
		fmt.Printf("rss: warm %d kB, last while streaming %d kB, after Run %d kB, limit %d kB (+%.0f%%); before Run %d kB\n",
			base.rssKB, last.rssKB, after.rssKB, limit, 100*rssGrowth, before.rssKB)
		if last.rssKB > limit || after.rssKB > limit {
			failures = append(failures, fmt.Sprintf("RSS grew from %d kB to %d kB", base.rssKB, max(last.rssKB, after.rssKB)))
		}
		if last.goroutines > base.goroutines {
			failures = append(failures, fmt.Sprintf("goroutines grew while streaming, from %d to %d", base.goroutines, last.goroutines))
		}
	}
	fmt.Printf("goroutines: before Run %d, after Run %d\n", before.goroutines, after.goroutines)
	if after.goroutines > before.goroutines {
		failures = append(failures, fmt.Sprintf("Run left %d goroutines behind", after.goroutines-before.goroutines))
	}
	if want := int64(frames); end.frames != want {
		failures = append(failures, fmt.Sprintf("%d frames out, want %d", end.frames, want))
	}
	fmt.Printf("wall %v for %v of media (%.0fx real time)\n", end.wall.Round(time.Second), duration, duration.Seconds()/end.wall.Seconds())
	if len(failures) > 0 {
		return fmt.Errorf("%s", strings.Join(failures, "; "))
	}
	fmt.Println("soak: ok")
	return nil
}

// rssKB reads VmRSS from /proc/self/status, or -1.
func rssKB() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}
