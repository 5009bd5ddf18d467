package testkit

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"
)

// Packet is one compressed packet of a stream, in file order.
type Packet struct {
	PTS, DTS time.Duration
	Duration time.Duration
	Keyframe bool
	Size     int
	// HasPTS and HasDTS are false when ffprobe reports no value (N/A);
	// PTS or DTS is then zero.
	HasPTS, HasDTS bool
}

// Packets returns the packets of the first stream of streamType ("v" for
// video, "a" for audio) in the file at path, with times converted from the
// stream's time base exactly.
func Packets(t testing.TB, path, streamType string) []Packet {
	t.Helper()
	RequireFFmpeg(t)
	if streamType != "v" && streamType != "a" {
		t.Fatalf("testkit: Packets: stream type %q, want \"v\" or \"a\"", streamType)
	}
	out, _ := run(t, "ffprobe", "-v", "error", "-select_streams", streamType+":0",
		"-show_entries", "packet=pts,dts,duration,size,flags:stream=time_base",
		"-of", "json", path)
	var doc struct {
		Packets []struct {
			PTS      *int64 `json:"pts"`
			DTS      *int64 `json:"dts"`
			Duration *int64 `json:"duration"`
			Size     string `json:"size"`
			Flags    string `json:"flags"`
		} `json:"packets"`
		Streams []struct {
			TimeBase string `json:"time_base"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("testkit: ffprobe output for %s: %v", path, err)
	}
	if len(doc.Streams) == 0 {
		t.Fatalf("testkit: %s has no %q stream", path, streamType)
	}
	tb, ok := new(big.Rat).SetString(doc.Streams[0].TimeBase)
	if !ok {
		t.Fatalf("testkit: %s: time base %q", path, doc.Streams[0].TimeBase)
	}
	packets := make([]Packet, 0, len(doc.Packets))
	for _, p := range doc.Packets {
		pk := Packet{
			Keyframe: strings.Contains(p.Flags, "K"),
			Size:     atoi(p.Size),
			HasPTS:   p.PTS != nil,
			HasDTS:   p.DTS != nil,
		}
		if p.PTS != nil {
			pk.PTS = ticks(*p.PTS, tb)
		}
		if p.DTS != nil {
			pk.DTS = ticks(*p.DTS, tb)
		}
		if p.Duration != nil {
			pk.Duration = ticks(*p.Duration, tb)
		}
		packets = append(packets, pk)
	}
	return packets
}

// ticks converts n units of time base tb to a Duration, rounded to the
// nearest nanosecond.
func ticks(n int64, tb *big.Rat) time.Duration {
	ns := new(big.Rat).Mul(new(big.Rat).SetInt64(n), tb)
	ns.Mul(ns, big.NewRat(int64(time.Second), 1))
	f, _ := ns.Float64()
	if f >= 0 {
		return time.Duration(f + 0.5)
	}
	return time.Duration(f - 0.5)
}

// String gives a one-line description for test logs.
func (p Packet) String() string {
	k := ""
	if p.Keyframe {
		k = " K"
	}
	return fmt.Sprintf("pts=%v dts=%v dur=%v size=%d%s", p.PTS, p.DTS, p.Duration, p.Size, k)
}
