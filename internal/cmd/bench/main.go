//go:build linux

// Command bench streams the same content the same way through golivecast
// and through the recipe it replaces, and measures both: CPU time, peak
// memory, what the RTMP server recorded and how the tracks start.
//
// The content is examples/counter's picture at 1280x720, 30 fps, and a
// 440 Hz tone at 44.1 kHz stereo, for -duration (20 s). The modes:
//
//	golivecast      rtmpsrc.Publisher with capture.Images and capture.Tone,
//	                x264 preset veryfast, 2500 kbit/s, AAC 128 kbit/s
//	recipe          each picture JPEG-encoded (quality 90) and written to an
//	                ffmpeg subprocess over a local TCP port, the PCM over a
//	                second one; ffmpeg encodes (libx264 veryfast 2500k, aac
//	                128k) and publishes FLV
//	recipe-turbo    the recipe with libjpeg-turbo instead of image/jpeg,
//	                as OpenCV's imencode in the original (needs -tags
//	                turbojpeg and libjpeg-dev)
//	recipe-matched  the recipe with golivecast's x264 settings (tune
//	                zerolatency, 2 s GOP, no scene cut, VBV 2500k)
//	ffmpeg-raw      ffmpeg fed the raw RGBA pictures and the PCM, with
//	                golivecast's x264 settings: the same work in another
//	                process, less the JPEG round trip
//	draw            the pictures and the tone made on schedule and thrown
//	                away: the cost of the content itself
//	still           golivecast with one picture of the content, pushed
//	                once: the publisher repeats it as skip frames
//	still-x264      the same picture handed to x264 at every frame, as
//	                before skip frames
//
// Each run is a separate process (the harness runs itself with -worker),
// so peak RSS and CPU time belong to that run alone. Modes take turns, run
// after run. Without -url the harness starts nginx with the RTMP module on
// a free loopback port, with a configuration in a temporary directory,
// and probes each recording with ffprobe.
//
//	go run ./internal/cmd/bench                                   # golivecast and recipe, 3 runs each
//	go run ./internal/cmd/bench -modes recipe,recipe-matched,draw -runs 3
//	go run -tags extlib ./internal/bench -modes golivecast    # x264 with assembly
//	go run -tags turbojpeg ./internal/bench -modes recipe-turbo
//	go run ./internal/cmd/bench -url rtmp://host/live -records /var/rec
//	go run ./internal/cmd/bench -ppm frame.ppm && tjbench frame.ppm 90 -subsamp 420
//	go run -tags extlib ./internal/cmd/bench -latency -runs 10 -duration 33ms  # a stream's fixed costs
//	go run -tags extlib ./internal/cmd/bench -fanout -runs 3 -duration 20s     # one encode, several destinations
//	go run ./internal/cmd/bench -modes golivecast,still,still-x264 -runs 3 -duration 10s
//	go run ./internal/cmd/bench -streams 1,20,40 -runs 3 -duration 30s         # still cards, many streams in one process
//
// It needs Linux (/proc), ffmpeg and ffprobe, and nginx with the RTMP
// module unless -url is given.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/golivecast/golivecast/examples/counter/scene"
	"github.com/golivecast/golivecast/internal/nginx"
)

var allModes = []string{"golivecast", "recipe", "recipe-turbo", "recipe-matched", "ffmpeg-raw", "draw", "still", "still-x264"}

func main() {
	var (
		modes    = flag.String("modes", "golivecast,recipe", "comma-separated modes: "+strings.Join(allModes, ", "))
		runs     = flag.Int("runs", 3, "runs of each mode")
		duration = flag.Duration("duration", 20*time.Second, "media time of each run")
		url      = flag.String("url", "", "RTMP application URL of an existing server, such as rtmp://host/live (default: start nginx)")
		records  = flag.String("records", "", "with -url: the directory where that server records KEY.flv, to probe")
		keep     = flag.Bool("keep", false, "keep the temporary directory with nginx's recordings")
		asJSON   = flag.Bool("json", false, "also print each run as a JSON line")
		pause    = flag.Duration("pause", 2*time.Second, "pause between runs")
		idle     = flag.Float64("idle", 0.15, "before each run, wait (up to -idle-wait) until the machine's CPUs are busy less than this fraction over 3 s; 0: do not wait")
		idleWait = flag.Duration("idle-wait", 10*time.Minute, "the longest wait for -idle")
		ppm      = flag.String("ppm", "", "write one picture of the content (frame 123) to this file as a binary PPM, for external JPEG tools, and exit")
		wmode    = flag.String("worker", "", "(internal) stream one run in this mode to -url and print the result")
		lat      = flag.Bool("latency", false, "time a stream's fixed costs (start, first media, unpublish, exit) over -runs runs of -duration")
		fan      = flag.Bool("fanout", false, "CPU and memory of one encode to 1, 2 and 4 destinations, against as many separate processes")
		dests    = flag.Int("dests", 1, "(internal, with -worker golivecast) destinations of the one encode")
		size     = flag.String("size", "1280x720", "picture size WIDTHxHEIGHT")
		threads  = flag.Int("threads", 0, "x264 threads for golivecast (0: x264 chooses)")
		stages   = flag.Bool("stages", false, "CPU per frame of each stage (drawing, conversion, x264, AAC, the rest) and push-to-socket latency")
		streams  = flag.String("streams", "", "still-card streams in one process: counts to measure, such as 1,20,40")
		nofill   = flag.Bool("nofiller", false, "golivecast's CBR without filler (H264Options.NoFiller)")
	)
	flag.Parse()
	x264Threads, noFiller = *threads, *nofill
	if _, err := fmt.Sscanf(*size, "%dx%d", &width, &height); err != nil || width <= 0 || height <= 0 {
		fmt.Fprintf(os.Stderr, "bench: -size %q: want WIDTHxHEIGHT\n", *size)
		os.Exit(2)
	}
	if *stages {
		if err := runStages(*duration); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if *fan {
		if err := runFanout(*runs, *duration); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if *lat {
		if err := runLatency(*runs, *duration); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if *ppm != "" {
		if err := writePPM(*ppm, 123); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if *wmode == "streams" {
		n, err := strconv.Atoi(*streams)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench worker: -streams", *streams)
			os.Exit(2)
		}
		r, err := runManyStill(*url, n, *duration)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench worker:", err)
			os.Exit(1)
		}
		_ = json.NewEncoder(os.Stdout).Encode(r)
		return
	}
	if *streams != "" {
		counts, err := parseCounts(*streams)
		if err == nil {
			err = runStreams(counts, *runs, *duration)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if *wmode != "" {
		r, err := worker(*wmode, *url, *duration, *dests)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench worker:", err)
			os.Exit(1)
		}
		_ = json.NewEncoder(os.Stdout).Encode(r)
		return
	}
	list := strings.Split(*modes, ",")
	for _, m := range list {
		if !slices.Contains(allModes, m) {
			fmt.Fprintf(os.Stderr, "bench: unknown mode %q (want %s)\n", m, strings.Join(allModes, ", "))
			os.Exit(2)
		}
		if m == "recipe-turbo" && !turboJPEG {
			fmt.Fprintln(os.Stderr, "bench: the recipe-turbo mode needs -tags turbojpeg (and libjpeg-turbo's headers, Debian: libjpeg-dev)")
			os.Exit(2)
		}
	}
	if err := run(list, *runs, *duration, *url, *records, *keep, *asJSON, *pause, *idle, *idleWait); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(modes []string, runs int, d time.Duration, url, records string, keep, asJSON bool, pause time.Duration, idle float64, idleWait time.Duration) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var srv *nginx.Server
	if url == "" {
		dir, err := os.MkdirTemp("", "golivecast-bench-")
		if err != nil {
			return err
		}
		if keep {
			fmt.Fprintf(os.Stderr, "bench: recordings are kept in %s\n", filepath.Join(dir, "records"))
		} else {
			defer os.RemoveAll(dir)
		}
		if srv, err = nginx.Start(dir, nginx.Options{}); err != nil {
			return fmt.Errorf("%w (or pass -url)", err)
		}
		defer srv.Stop()
		url, records = "rtmp://"+srv.Addr()+"/live", srv.RecordDir()
	}
	url = strings.TrimSuffix(url, "/")
	fmt.Fprintf(os.Stderr, "bench: %d run(s) of %s, %v each, to %s; golivecast links %s\n",
		runs, strings.Join(modes, ", "), d, url, x264Build)

	results := map[string][]*result{}
	for i := 1; i <= runs; i++ {
		for _, m := range modes {
			if len(results) > 0 {
				time.Sleep(pause)
			}
			if idle > 0 {
				waitIdle(idle, idleWait)
			}
			r, err := runOne(self, m, i, url, records, srv, d)
			if err != nil {
				return fmt.Errorf("%s run %d: %w", m, i, err)
			}
			results[m] = append(results[m], r)
			fmt.Fprintf(os.Stderr, "bench: %-14s run %d: cpu %.2fs (%s %.2fs + ffmpeg %.2fs), peak RSS %s / %s, %d frames, %.3fs, A/V start %+.0f ms, skew %+.0f ms, others %.2fs\n",
				m, i, r.SelfCPU+r.FFCPU, m, r.SelfCPU, r.FFCPU, mb(r.SelfHWM), mb(r.FFHWM),
				r.Rec.VideoFrames, r.Rec.Duration, 1000*(r.Rec.FirstVideo-r.Rec.FirstAudio), r.StartSkew, r.OtherCPU)
			if m == "golivecast" || strings.HasPrefix(m, "still") {
				fmt.Fprintf(os.Stderr, "bench:   %d frames sent, %d repeated, %d as skip frames; %.0f kbit/s\n",
					r.FramesSent, r.Repeated, r.SkipFrames, float64(8*r.VideoBytes)/d.Seconds()/1000)
			}
			if r.RecErr != "" {
				fmt.Fprintf(os.Stderr, "bench:   recording: %s\n", r.RecErr)
			}
			if r.FFWarn != "" {
				fmt.Fprintf(os.Stderr, "bench:   ffmpeg said: %s\n", oneLine(r.FFWarn, 300))
			}
			if asJSON {
				b, _ := json.Marshal(r)
				fmt.Println(string(b))
			}
		}
	}
	summary(os.Stdout, modes, results, d)
	return nil
}

// runOne streams one run in a worker process and measures around it.
func runOne(self, mode string, i int, url, records string, srv *nginx.Server, d time.Duration) (*result, error) {
	key := fmt.Sprintf("%s-%d-%d", mode, i, time.Now().Unix())
	load := loadAvg()
	busy0 := machineBusy()
	var ng0 time.Duration
	if srv != nil {
		ng0 = procCPU(srv.PID())
	}
	cmd := exec.Command(self, "-worker", mode, "-url", url+"/"+key, "-duration", d.String(), "-size", sizeArg(), "-threads", fmt.Sprint(x264Threads),
		fmt.Sprintf("-nofiller=%v", noFiller))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, err
	}
	busy := machineBusy() - busy0
	r := &result{}
	if err := json.Unmarshal(out.Bytes(), r); err != nil {
		return nil, fmt.Errorf("worker output %q: %w", out.String(), err)
	}
	r.Run, r.Load = i, load
	if srv != nil {
		r.NginxCPU = (procCPU(srv.PID()) - ng0).Seconds()
	}
	// The worker's rusage from wait4 also holds its ffmpeg; the worker
	// reports its own and ffmpeg's apart.
	r.OtherCPU = math.Max(0, busy.Seconds()-r.SelfCPU-r.FFCPU-r.NginxCPU)
	if mode == "draw" {
		return r, nil
	}
	if records == "" {
		r.RecErr = "no -records directory: not probed"
		return r, nil
	}
	path := recordingPath(records, key)
	if err := waitStable(path, 10*time.Second); err != nil {
		r.RecErr = err.Error()
		return r, nil
	}
	rec, err := probe(path)
	if err != nil {
		r.RecErr = err.Error()
	}
	r.Rec = rec
	return r, nil
}

// waitIdle waits until the machine's CPUs were busy less than frac of the
// time over the last 3 s, or max has passed: other work on the machine
// would be counted in wall-clock figures and slow the encoders.
func waitIdle(frac float64, max time.Duration) {
	deadline := time.Now().Add(max)
	cores := float64(runtime.NumCPU())
	said := false
	for {
		b0 := machineBusy()
		time.Sleep(3 * time.Second)
		busy := (machineBusy() - b0).Seconds() / 3 / cores
		if busy < frac {
			return
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "bench: the machine is still %.0f%% busy after %v; running anyway\n", 100*busy, max)
			return
		}
		if !said {
			fmt.Fprintf(os.Stderr, "bench: waiting for the machine to be idle (%.0f%% busy)\n", 100*busy)
			said = true
		}
	}
}

// waitStable waits until path exists and its size has not changed for
// half a second: the server closes a recording when the publisher leaves.
func waitStable(path string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	last := int64(-1)
	for time.Now().Before(deadline) {
		fi, err := os.Stat(path)
		if err == nil && fi.Size() > 0 && fi.Size() == last {
			return nil
		}
		if err == nil {
			last = fi.Size()
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("recording %s not found or still growing after %v", filepath.Base(path), timeout)
}

// summary prints the median of each figure over the runs of each mode, as
// a Markdown table.
func summary(w io.Writer, modes []string, results map[string][]*result, d time.Duration) {
	fmt.Fprintf(w, "\nMedians over runs; media time %v; golivecast links %s.\n\n", d, x264Build)
	fmt.Fprintln(w, "| mode | runs | CPU total (s) | CPU / media time | producer CPU (s) | ffmpeg CPU (s) | peak RSS producer (MiB) | peak RSS ffmpeg (MiB) | frames recorded | duration (s) | first video − first audio PTS (ms) | input start skew (ms) | other load (CPU s) |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, m := range modes {
		rs := results[m]
		med := func(f func(*result) float64) float64 {
			v := make([]float64, len(rs))
			for i, r := range rs {
				v[i] = f(r)
			}
			return median(v)
		}
		total := med(func(r *result) float64 { return r.SelfCPU + r.FFCPU })
		ff, ffRSS, skew := "–", "–", "–"
		if strings.HasPrefix(m, "recipe") || m == "ffmpeg-raw" {
			ff = fmt.Sprintf("%.2f", med(func(r *result) float64 { return r.FFCPU }))
			ffRSS = fmt.Sprintf("%.0f", med(func(r *result) float64 { return float64(r.FFHWM) / 1024 }))
			skew = fmt.Sprintf("%+.0f", med(func(r *result) float64 { return r.StartSkew }))
		}
		frames, dur, av := "–", "–", "–"
		probed := slices.ContainsFunc(rs, func(r *result) bool { return r.RecErr == "" })
		if m != "draw" && probed {
			frames = fmt.Sprintf("%.0f", med(func(r *result) float64 { return float64(r.Rec.VideoFrames) }))
			dur = fmt.Sprintf("%.3f", med(func(r *result) float64 { return r.Rec.Duration }))
			av = fmt.Sprintf("%+.0f", med(func(r *result) float64 { return 1000 * (r.Rec.FirstVideo - r.Rec.FirstAudio) }))
		}
		fmt.Fprintf(w, "| %s | %d | %.2f | %.0f%% | %.2f | %s | %.0f | %s | %s | %s | %s | %s | %.2f |\n",
			m, len(rs), total, 100*total/d.Seconds(), med(func(r *result) float64 { return r.SelfCPU }), ff,
			med(func(r *result) float64 { return float64(r.SelfHWM) / 1024 }), ffRSS, frames, dur, av, skew,
			med(func(r *result) float64 { return r.OtherCPU }))
	}
}

// writePPM writes picture i of the content as a binary PPM (P6).
func writePPM(path string, i int) error {
	sc, err := scene.New(width, height, fps, false)
	if err != nil {
		return err
	}
	img := sc.Draw(i).(*image.RGBA)
	var b bytes.Buffer
	fmt.Fprintf(&b, "P6\n%d %d\n255\n", width, height)
	for y := range height {
		row := img.Pix[y*img.Stride:]
		for x := range width {
			b.Write(row[4*x : 4*x+3])
		}
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func mb(kb int64) string {
	if kb == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f MiB", float64(kb)/1024)
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

// recordingPath is where a server records key: KEY.flv, or KEY-UNIXTIME.flv
// with nginx-rtmp's record_unique (the newest, then).
func recordingPath(dir, key string) string {
	matches, _ := filepath.Glob(filepath.Join(dir, key+"-*.flv"))
	if len(matches) == 0 {
		return filepath.Join(dir, key+".flv")
	}
	sort.Strings(matches)
	return matches[len(matches)-1]
}
