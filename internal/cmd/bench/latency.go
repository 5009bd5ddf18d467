//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"time"

	"github.com/golivecast/golivecast/internal/nginx"
	"github.com/golivecast/golivecast/rtmptest"
)

// The latency mode times a stream's fixed costs, from outside the
// publishing process: a worker process streams the demo's content for
// -duration, and the harness notes when it started it, when an
// in-process RTMP server (rtmptest, which dates each message's arrival)
// saw the publish command, the first media message, the last one and the
// unpublish, and when the process exited. A second series times the same
// runs against nginx-rtmp, where only the process's wall time is known.

// latency is one run's timings, from the start of the process.
type latency struct {
	publish    time.Duration // the publish command arrived
	firstMedia time.Duration // the first audio or video message arrived
	lastMedia  time.Duration
	unpublish  time.Duration // deleteStream arrived
	exit       time.Duration // the process had exited
	frames     int
}

func runLatency(runs int, d time.Duration) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: latency, %d runs of %v of media each; golivecast links %s\n", runs, d, x264Build)
	var got []latency
	for i := range runs {
		l, err := latencyRun(self, d, i)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		got = append(got, l)
		fmt.Fprintf(os.Stderr, "bench: run %d: publish %v, first media %v, last media %v, unpublish %v, exit %v, %d frames\n",
			i+1, ms(l.publish), ms(l.firstMedia), ms(l.lastMedia), ms(l.unpublish), ms(l.exit), l.frames)
	}
	col := func(f func(latency) time.Duration) []time.Duration {
		var v []time.Duration
		for _, l := range got {
			v = append(v, f(l))
		}
		return v
	}
	fmt.Printf("\nlatency over %d runs of %v of media (median, worst), in ms, to rtmptest:\n", runs, d)
	row := func(name string, v []time.Duration) {
		slices.Sort(v)
		fmt.Printf("  %-42s %8s %8s\n", name, ms(v[len(v)/2]), ms(v[len(v)-1]))
	}
	row("process start -> publish command", col(func(l latency) time.Duration { return l.publish }))
	row("publish command -> first media byte", col(func(l latency) time.Duration { return l.firstMedia - l.publish }))
	row("process start -> first media byte", col(func(l latency) time.Duration { return l.firstMedia }))
	row("last media -> unpublish", col(func(l latency) time.Duration { return l.unpublish - l.lastMedia }))
	row("last media -> process exit", col(func(l latency) time.Duration { return l.exit - l.lastMedia }))
	row("whole run (process start -> exit)", col(func(l latency) time.Duration { return l.exit }))

	// The same stream to nginx-rtmp: the whole run, as a user times it.
	dir, err := os.MkdirTemp("", "golivecast-latency-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ng, err := nginx.Start(dir, nginx.Options{})
	if err != nil {
		return err
	}
	defer ng.Stop()
	var walls []time.Duration
	for i := range runs {
		start := time.Now()
		if err := worker1(self, "rtmp://"+ng.Addr()+fmt.Sprintf("/live/lat%d", i), d); err != nil {
			return err
		}
		walls = append(walls, time.Since(start))
	}
	fmt.Printf("to nginx-rtmp:\n")
	row("whole run (process start -> exit)", walls)
	return nil
}

// worker1 runs one golivecast worker to url and waits for it.
func worker1(self, url string, d time.Duration) error {
	cmd := exec.Command(self, "-worker", "golivecast", "-url", url, "-duration", d.String(), "-size", sizeArg())
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("worker: %w: %s", err, stderr.String())
	}
	return nil
}

func latencyRun(self string, d time.Duration, i int) (latency, error) {
	srv, err := rtmptest.Start(rtmptest.Config{DropPayloads: true})
	if err != nil {
		return latency{}, err
	}
	defer srv.Close()
	start := time.Now()
	if err := worker1(self, srv.URL("live", fmt.Sprintf("lat%d", i)), d); err != nil {
		return latency{}, err
	}
	l := latency{exit: time.Since(start)}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// The server may still be reading the unpublish when the process
	// has exited.
	_ = srv.WaitFor(ctx, func(evs []rtmptest.Event) bool {
		return slices.ContainsFunc(evs, func(e rtmptest.Event) bool { return e.Kind == rtmptest.KindClose })
	})
	for _, e := range srv.Events() {
		at := e.Arrived.Sub(start)
		switch {
		case e.Kind == rtmptest.KindPublish:
			l.publish = at
		case e.Kind == rtmptest.KindDeleteStream:
			l.unpublish = at
		case e.VideoFrame(), e.AudioFrame():
			if l.firstMedia == 0 {
				l.firstMedia = at
			}
			l.lastMedia = at
			if e.Kind == rtmptest.KindVideo {
				l.frames++
			}
		}
	}
	if l.publish == 0 || l.firstMedia == 0 || l.unpublish == 0 {
		return l, fmt.Errorf("the server saw no publish, media or unpublish: %v", srv.Events())
	}
	return l, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }
