//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sync"
	"time"

	"github.com/golivecast/golivecast/internal/nginx"
)

// The fan-out mode measures what each extra destination costs: one
// worker process publishing one encode to n destinations, against n
// worker processes publishing one stream each, for n = 1, 2, 4, all to
// one nginx-rtmp on loopback. CPU is user+system time of the workers;
// memory is the sum of their peak resident sets.

type fanoutResult struct {
	cpu time.Duration
	rss int64 // kB
}

func runFanout(runs int, d time.Duration) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "golivecast-fanout-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ng, err := nginx.Start(dir, nginx.Options{})
	if err != nil {
		return err
	}
	defer ng.Stop()
	fmt.Fprintf(os.Stderr, "bench: fan-out, %d runs of %v each; golivecast links %s\n", runs, d, x264Build)
	type row struct {
		n           int
		one, many   []fanoutResult
		oneP, manyP fanoutResult // medians
	}
	rows := []*row{{n: 1}, {n: 2}, {n: 4}}
	key := 0
	next := func() string { key++; return fmt.Sprintf("rtmp://%s/live/fan%d", ng.Addr(), key) }
	// Rounds of every size in turn, so that a machine that drifts during
	// the series weighs on all sizes alike.
	for i := range runs {
		for _, r := range rows {
			waitIdle(0.15, 5*time.Minute)
			one, err := fanoutWorkers(self, d, []string{next()}, r.n)
			if err != nil {
				return err
			}
			var urls []string
			for range r.n {
				urls = append(urls, next())
			}
			waitIdle(0.15, 5*time.Minute)
			many, err := fanoutWorkers(self, d, urls, 1)
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "bench: %d destination(s), run %d: one process %.2fs CPU %s; %d processes %.2fs CPU %s\n",
				r.n, i+1, one.cpu.Seconds(), mb(one.rss), r.n, many.cpu.Seconds(), mb(many.rss))
			r.one, r.many = append(r.one, one), append(r.many, many)
		}
	}
	for _, r := range rows {
		r.oneP, r.manyP = medianResult(r.one), medianResult(r.many)
	}
	base := rows[0].oneP.cpu
	fmt.Printf("\nfan-out, %v of %s at 30 fps with AAC, medians of %d runs:\n", d, sizeArg(), runs)
	fmt.Printf("  %-13s %-28s %-28s %s\n", "destinations", "one encode (CPU, RSS)", "separate processes", "extra CPU per destination")
	for _, r := range rows {
		extra := "-"
		if r.n > 1 {
			extra = fmt.Sprintf("%.1f%% of one encode", 100*(r.oneP.cpu-base).Seconds()/float64(r.n-1)/base.Seconds())
		}
		fmt.Printf("  %-13d %6.2fs %-20s %6.2fs %-20s %s\n", r.n, r.oneP.cpu.Seconds(), mb(r.oneP.rss), r.manyP.cpu.Seconds(), mb(r.manyP.rss), extra)
	}
	return nil
}

// fanoutWorkers runs one golivecast worker per url, each to dests
// destinations, at once, and sums their CPU time and peak RSS.
func fanoutWorkers(self string, d time.Duration, urls []string, dests int) (fanoutResult, error) {
	var (
		mu   sync.Mutex
		res  fanoutResult
		errs []error
		wg   sync.WaitGroup
	)
	for _, u := range urls {
		wg.Go(func() {
			cmd := exec.Command(self, "-worker", "golivecast", "-url", u, "-duration", d.String(), "-dests", fmt.Sprint(dests), "-size", sizeArg())
			var out, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &stderr
			err := cmd.Run()
			var r result
			if err == nil {
				err = json.Unmarshal(out.Bytes(), &r)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("worker: %w: %s", err, stderr.String()))
				return
			}
			res.cpu += time.Duration(r.SelfCPU * float64(time.Second))
			res.rss += r.SelfHWM
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return res, errs[0]
	}
	return res, nil
}

func medianResult(v []fanoutResult) fanoutResult {
	s := slices.Clone(v)
	slices.SortFunc(s, func(a, b fanoutResult) int { return int(a.cpu - b.cpu) })
	m := s[len(s)/2]
	rss := make([]int64, len(v))
	for i, r := range v {
		rss[i] = r.rss
	}
	slices.Sort(rss)
	m.rss = rss[len(rss)/2]
	return m
}
