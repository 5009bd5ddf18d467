//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/draw"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/examples/counter/scene"
	"github.com/golivecast/golivecast/internal/nginx"
	"github.com/golivecast/golivecast/rtmpsrc"
)

// Still pictures: what a stream costs when its picture does not change.
//
// The modes still and still-x264 stream one picture of the demo's
// content, pushed once into a capture.VideoPush as a bot pushes a card,
// with the same tone as the golivecast mode: still sends the publisher's
// repeats as skip frames, still-x264 hands the same picture to x264 at
// every frame, as every release before skip frames did (each frame drawn
// by capture.Images, which gives the publisher no sign that it did not
// change).
//
// -streams runs one worker process with n such streams at once, each a
// still card at 1280x720 30 fps with silence for sound, a new card every
// 10 s, all to one nginx-rtmp that records nothing; the streams start
// spread over 2 s, one keyframe interval, and their cards change spread
// over 10 s, as independent streams do. It reports whether the process
// keeps them in real time: every frame sent, none dropped, and how far
// the slowest stream's media time fell behind the wall clock, over the
// whole run and once all have run 2 s.

// runStillMode is the worker of the still and still-x264 modes.
func runStillMode(r *result, url string, d time.Duration, frames int, sc *scene.Scene, skip bool) error {
	pic := cloneRGBA(sc.Draw(0))
	var video capture.VideoSource
	var push *capture.VideoPush
	if skip {
		push = capture.NewVideoPush()
		if err := push.WriteVideo(capture.Frame{Image: pic}); err != nil {
			return err
		}
		video = push
	} else {
		video = capture.Images(func(i int) image.Image {
			if i >= frames {
				return nil
			}
			return pic
		})
	}
	tone := capture.Tone(audioFormat, toneHz, toneAmplitude)
	tone.Duration = d
	pub, err := rtmpsrc.New(rtmpsrc.Config{
		URL:          url,
		Video:        video,
		Audio:        tone,
		VideoEncoder: benchH264(),
		AudioEncoder: encode.AACOptions{Bitrate: audioKbps * encode.Kbps},
	})
	if err != nil {
		return err
	}
	defer pub.Close()
	done := make(chan struct{})
	defer close(done)
	if push != nil {
		// The picture ends after d of media, as the other modes' do.
		go func() {
			<-pub.Started()
			select {
			case <-time.After(time.Until(pub.StartedAt().Add(d))):
				push.Close()
			case <-done:
			}
		}()
	}
	if err := pub.Run(context.Background()); err != nil {
		return err
	}
	fillStats(r, pub.Stats())
	return nil
}

// benchH264 is the video encoder every golivecast mode uses.
func benchH264() encode.H264Options {
	return encode.H264Options{
		Width: width, Height: height,
		FrameRate: encode.Rational{Num: fps, Den: 1},
		Preset:    presetName,
		Bitrate:   videoKbps * encode.Kbps,
		Threads:   x264Threads,
		NoFiller:  noFiller,
	}
}

// noFiller is -nofiller: CBR streams without padding.
var noFiller bool

func fillStats(r *result, st rtmpsrc.Stats) {
	r.FramesSent = int(st.Video.Muxed)
	// Each AAC frame carries 1024 samples.
	r.AudioSent = float64(st.Audio.Muxed*1024) / float64(audioFormat.SampleRate)
	r.Repeated = st.Video.Repeated
	r.SkipFrames = st.Video.SkipFrames
	r.VideoBytes = st.BytesMuxed
	for _, d := range st.Destinations {
		r.Dropped += d.VideoDroppedTotal()
	}
	r.Silence = float64(st.Audio.SilenceInserted) / float64(time.Millisecond)
}

func cloneRGBA(img image.Image) *image.RGBA {
	c := image.NewRGBA(img.Bounds())
	draw.Draw(c, c.Rect, img, img.Bounds().Min, draw.Src)
	return c
}

// manyResult is what the streams worker measured.
type manyResult struct {
	Streams    int     `json:"streams"`
	CPU        float64 `json:"cpu_s"`
	HWM        int64   `json:"hwm_kb"`
	RSS        int64   `json:"rss_kb"`   // at the end of the run
	GoHeap     int64   `json:"heap_kb"`  // Go heap in use at the end
	GoSys      int64   `json:"gosys_kb"` // memory the Go runtime holds
	Frames     int64   `json:"frames"`
	Want       int64   `json:"frames_wanted"`
	SkipFrames int64   `json:"skip_frames"`
	Dropped    int64   `json:"dropped"`
	MaxLag     float64 `json:"max_lag_ms"`    // media time behind the wall clock, worst stream, worst moment
	SteadyLag  float64 `json:"steady_lag_ms"` // the same, once every stream has run 2 s
	Wall       float64 `json:"wall_s"`
	NginxCPU   float64 `json:"nginx_cpu_s"`
	Cards      int     `json:"cards"`
	OtherCPU   float64 `json:"other_cpu_s"` // the machine's busy time not ours or nginx's
}

// runManyStill is the worker of -streams: n still-card streams at once.
func runManyStill(url string, n int, d time.Duration) (*manyResult, error) {
	const cardEvery = 10 * time.Second
	frames := int64(d.Seconds()*fps + 0.5)
	sc, err := scene.New(width, height, fps, false)
	if err != nil {
		return nil, err
	}
	var drawMu sync.Mutex // one scene draws every card, one at a time
	card := func(k int) *image.RGBA {
		drawMu.Lock()
		defer drawMu.Unlock()
		return cloneRGBA(sc.Draw(k * 300))
	}
	type stream struct {
		pub   *rtmpsrc.Publisher
		push  *capture.VideoPush
		ended atomic.Bool // its picture is over: no more lag to sample
	}
	streams := make([]*stream, n)
	for i := range streams {
		push := capture.NewVideoPush()
		if err := push.WriteVideo(capture.Frame{Image: card(i)}); err != nil {
			return nil, err
		}
		pub, err := rtmpsrc.New(rtmpsrc.Config{
			URL:          fmt.Sprintf("%s-%d", url, i),
			Video:        push,
			Audio:        capture.Silence(audioFormat),
			VideoEncoder: benchH264(),
			AudioEncoder: encode.AACOptions{Bitrate: audioKbps * encode.Kbps},
		})
		if err != nil {
			return nil, err
		}
		streams[i] = &stream{pub: pub, push: push}
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, n)
	var cards int
	var cardsMu sync.Mutex
	for i, s := range streams {
		wg.Go(func() {
			defer s.pub.Close()
			// Streams that start together have their keyframes together
			// forever: they start spread over one keyframe interval, as
			// streams started independently are.
			time.Sleep(2 * time.Second * time.Duration(i) / time.Duration(n))
			done := make(chan struct{})
			go func() {
				defer close(done)
				errs[i] = s.pub.Run(context.Background())
			}()
			select {
			case <-s.pub.Started():
			case <-done:
				return
			}
			t0 := s.pub.StartedAt()
			// A new card every 10 s, this stream's first after (i+1)/n of
			// that; the picture ends after d.
			end := t0.Add(d)
			next := t0.Add(cardEvery * time.Duration(i+1) / time.Duration(n))
			for k := 1; ; k++ {
				at := next
				if end.Before(at) {
					at = end
				}
				timer := time.NewTimer(time.Until(at))
				select {
				case <-done:
					timer.Stop()
					return
				case <-timer.C:
				}
				if !time.Now().Before(end) {
					s.ended.Store(true)
					s.push.Close()
					<-done
					return
				}
				if s.push.WriteVideo(capture.Frame{Image: card(n*k + i)}) == nil {
					cardsMu.Lock()
					cards++
					cardsMu.Unlock()
				}
				next = next.Add(cardEvery)
			}
		})
	}
	// The lag of each stream, sampled while they run.
	var maxLag, steadyLag time.Duration
	stop := make(chan struct{})
	var lagWG sync.WaitGroup
	lagWG.Go(func() {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			for _, s := range streams {
				select {
				case <-s.pub.Started():
				default:
					continue
				}
				st := s.pub.Stats()
				if st.Video.Muxed == 0 || s.ended.Load() {
					continue
				}
				since := time.Since(s.pub.StartedAt())
				maxLag = max(maxLag, since-st.MediaTime)
				if time.Since(start) > 4*time.Second {
					steadyLag = max(steadyLag, since-st.MediaTime)
				}
			}
		}
	})
	wg.Wait()
	close(stop)
	lagWG.Wait()
	res := &manyResult{Streams: n, Want: frames * int64(n), MaxLag: float64(maxLag) / float64(time.Millisecond),
		SteadyLag: float64(steadyLag) / float64(time.Millisecond),
		Wall:      time.Since(start).Seconds(), Cards: cards}
	for i, s := range streams {
		if errs[i] != nil {
			return nil, fmt.Errorf("stream %d: %w", i, errs[i])
		}
		st := s.pub.Stats()
		res.Frames += st.Video.Muxed
		res.SkipFrames += st.Video.SkipFrames
		for _, d := range st.Destinations {
			res.Dropped += d.VideoDroppedTotal()
		}
	}
	u, sy := selfUsage()
	res.CPU = (u + sy).Seconds()
	res.HWM = statusKB("self", "VmHWM")
	res.RSS = statusKB("self", "VmRSS")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.GoHeap, res.GoSys = int64(ms.HeapInuse/1024), int64(ms.Sys/1024)
	return res, nil
}

// runStreams is -streams: for each count, -runs runs of one worker
// process with that many still-card streams, to one nginx.
func runStreams(counts []int, runs int, d time.Duration) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "golivecast-streams-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ng, err := nginx.Start(dir, nginx.Options{NoRecord: true})
	if err != nil {
		return err
	}
	defer ng.Stop()
	fmt.Fprintf(os.Stderr, "bench: still-card streams %v, %d run(s) of %v each; golivecast links %s\n", counts, runs, d, x264Build)
	results := map[int][]*manyResult{}
	key := 0
	for i := range runs {
		for _, n := range counts {
			waitIdle(0.15, 5*time.Minute)
			key++
			ng0, busy0 := procCPU(ng.PID()), machineBusy()
			cmd := exec.Command(self, "-worker", "streams", "-streams", strconv.Itoa(n), "-duration", d.String(), "-size", sizeArg(),
				"-threads", fmt.Sprint(x264Threads), fmt.Sprintf("-nofiller=%v", noFiller),
				"-url", fmt.Sprintf("rtmp://%s/live/s%d", ng.Addr(), key))
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, os.Stderr
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("%d streams: %w", n, err)
			}
			var r manyResult
			if err := json.Unmarshal(out.Bytes(), &r); err != nil {
				return fmt.Errorf("worker output %q: %w", out.String(), err)
			}
			r.NginxCPU = (procCPU(ng.PID()) - ng0).Seconds()
			r.OtherCPU = max(0, (machineBusy()-busy0).Seconds()-r.CPU-r.NginxCPU)
			fmt.Fprintf(os.Stderr, "bench: %d streams, run %d: cpu %.2fs (%.0f%% of one core), peak RSS %s (at the end %s: Go heap in use %s, Go runtime %s), frames %d of %d, %d skip frames, %d dropped, lag at most %.0f ms (%.0f ms after the start), wall %.1fs, nginx %.2fs, others %.2fs\n",
				n, i+1, r.CPU, 100*r.CPU/d.Seconds(), mb(r.HWM), mb(r.RSS), mb(r.GoHeap), mb(r.GoSys), r.Frames, r.Want, r.SkipFrames, r.Dropped, r.MaxLag, r.SteadyLag, r.Wall, r.NginxCPU, r.OtherCPU)
			results[n] = append(results[n], &r)
		}
	}
	fmt.Printf("\nStill cards at %s 30 fps, a new one every 10 s, %v of media, medians of %d runs (%s):\n\n",
		sizeArg(), d, runs, x264Build)
	fmt.Println("| streams | CPU (s) | of one core | peak RSS (MiB) | RSS per stream (MiB) | frames sent | skip frames | dropped | worst lag (ms), start / after | nginx CPU (s) | other load (CPU s) |")
	fmt.Println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	var base *manyResult
	for _, n := range counts {
		rs := results[n]
		med := func(f func(*manyResult) float64) float64 {
			v := make([]float64, len(rs))
			for i, r := range rs {
				v[i] = f(r)
			}
			return median(v)
		}
		hwm := med(func(r *manyResult) float64 { return float64(r.HWM) })
		per := "–"
		if base != nil && n > base.Streams {
			per = fmt.Sprintf("%.1f", (hwm-float64(base.HWM))/1024/float64(n-base.Streams))
		}
		if base == nil {
			base = &manyResult{Streams: n, HWM: int64(hwm)}
		}
		cpu := med(func(r *manyResult) float64 { return r.CPU })
		fmt.Printf("| %d | %.2f | %.0f%% | %.0f | %s | %.0f of %d | %.0f | %.0f | %.0f / %.0f | %.2f | %.2f |\n",
			n, cpu, 100*cpu/d.Seconds(), hwm/1024, per,
			med(func(r *manyResult) float64 { return float64(r.Frames) }), rs[0].Want,
			med(func(r *manyResult) float64 { return float64(r.SkipFrames) }),
			med(func(r *manyResult) float64 { return float64(r.Dropped) }),
			med(func(r *manyResult) float64 { return r.MaxLag }),
			med(func(r *manyResult) float64 { return r.SteadyLag }),
			med(func(r *manyResult) float64 { return r.NginxCPU }),
			med(func(r *manyResult) float64 { return r.OtherCPU }))
	}
	return nil
}

// parseCounts reads -streams: counts separated by commas.
func parseCounts(s string) ([]int, error) {
	var counts []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-streams %q: want counts such as 1,10,40", s)
		}
		counts = append(counts, n)
	}
	slices.Sort(counts)
	return counts, nil
}
