package encode

import (
	"image"
	"testing"
	"time"
)

// TestCBRFiller: with Bitrate equal to MaxBitrate, the stream sends its
// bitrate over every 2 s window, within 10%, even for a still picture,
// whether the repeats are x264's pictures or skip frames; x264 pads with
// filler data, and skip frames are padded to their share. A moving
// picture is x264's rate control within its one-second VBV buffer, which
// the padding only tops up. NoFiller turns the padding off, and a VBR
// stream (MaxBitrate above Bitrate) has none: a still picture then sends
// far less than the bitrate.
func TestCBRFiller(t *testing.T) {
	forEachX264(t, func(t *testing.T, x *x264Lib) {
		const w, h, seconds = 320, 240, 12
		still := pattern(w, h, 7)
		for _, c := range []struct {
			name     string
			o        H264Options
			draw     func(i int) image.Image
			repeat   bool
			min, max float64 // of the target, over any 2 s; or, when min is 0, the whole stream's at most max
		}{
			{"still, x264", H264Options{Bitrate: 600 * Kbps}, func(int) image.Image { return still }, false, 0.9, 1.1},
			{"still, skip frames", H264Options{Bitrate: 600 * Kbps}, func(int) image.Image { return still }, true, 0.9, 1.1},
			{"moving", H264Options{Bitrate: 600 * Kbps}, func(i int) image.Image { return pattern(w, h, i) }, false, 0.85, 1.15},
			{"still, no filler", H264Options{Bitrate: 600 * Kbps, NoFiller: true}, func(int) image.Image { return still }, false, 0, 0.5},
			{"still, skip frames, no filler", H264Options{Bitrate: 600 * Kbps, NoFiller: true}, func(int) image.Image { return still }, true, 0, 0.5},
			{"still, VBR", H264Options{Bitrate: 600 * Kbps, MaxBitrate: 1200 * Kbps}, func(int) image.Image { return still }, false, 0, 0.5},
		} {
			t.Run(c.name, func(t *testing.T) {
				c.o.Width, c.o.Height = w, h
				e := openH264(t, x, c.o)
				if want := c.o.MaxBitrate == 0 && !c.o.NoFiller; e.rep.filler != want {
					t.Fatalf("x264 pads: %v, want %v", e.rep.filler, want)
				}
				const n = 30 * seconds
				var sched stillSchedule
				sched.n = n
				if !c.repeat {
					for i := range n {
						sched.changes = append(sched.changes, i)
					}
				}
				pk := encodeStill(t, e, sched, c.draw)
				if !c.repeat {
					// The model of the decoder's buffer that pads skip
					// frames is x264's: over x264's pictures alone it adds
					// no filler to x264's own.
					for i, p := range pk {
						if n := fillerNALs(t, p.Data); n > 1 {
							t.Fatalf("picture %d carries %d filler NAL units", i, n)
						}
					}
				}
				lo, hi := windowBitrates(pk, 2*time.Second)
				target := float64(c.o.Bitrate)
				t.Logf("over any 2 s: %.0f to %.0f kbit/s (%.1f%% to %.1f%% of %.0f)", lo/1000, hi/1000, 100*lo/target, 100*hi/target, target/1000)
				if c.min == 0 {
					all := 0
					for _, p := range pk {
						all += len(p.Data)
					}
					if r := float64(all*8) / seconds; r > c.max*target {
						t.Errorf("%.0f bit/s over the stream, want at most %.0f%% of %.0f", r, 100*c.max, target)
					}
				} else if lo < c.min*target || hi > c.max*target {
					t.Errorf("bitrate over 2 s windows from %.0f to %.0f bit/s, want %.0f%% to %.0f%% of %.0f",
						lo, hi, 100*c.min, 100*c.max, target)
				}
			})
		}
	})
}

// windowBitrates returns the lowest and highest bitrate of the packets
// over every window of d that starts at a packet, by PTS, among those that
// end before the last packet.
func windowBitrates(pk []Packet, d time.Duration) (lo, hi float64) {
	lo = -1
	end := pk[len(pk)-1].PTS
	for i := range pk {
		if pk[i].PTS+d > end {
			break
		}
		bytes := 0
		for j := i; j < len(pk) && pk[j].PTS < pk[i].PTS+d; j++ {
			bytes += len(pk[j].Data)
		}
		r := float64(bytes*8) / d.Seconds()
		if lo < 0 || r < lo {
			lo = r
		}
		hi = max(hi, r)
	}
	return lo, hi
}

// fillerNALs counts the filler data NAL units of an access unit.
func fillerNALs(t testing.TB, au []byte) int {
	n := 0
	for _, nal := range avccNALs(t, au) {
		if nal[0]&0x1f == 12 {
			n++
		}
	}
	return n
}
