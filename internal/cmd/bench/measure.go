//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is the unit of the times in /proc (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// selfUsage is the CPU time this process has used so far.
func selfUsage() (user, sys time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return tv(ru.Utime), tv(ru.Stime)
}

func tv(t syscall.Timeval) time.Duration {
	return time.Duration(t.Sec)*time.Second + time.Duration(t.Usec)*time.Microsecond
}

// statusKB reads a "Name:   123 kB" line of /proc/PID/status ("self" for
// this process): VmHWM is the peak resident set size.
func statusKB(pid, name string) int64 {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), name+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// procCPU is the user+system time of a running process, from
// /proc/PID/stat.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	// After the name: state(0) ... utime(11) stime(12).
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * clockTick
}

// machineBusy is the CPU time every core of the machine has spent not
// idle, from /proc/stat: its growth during a run, less what the run's own
// processes used, is the load from everything else.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		// user nice system idle iowait irq softirq steal guest guest_nice:
		// idle and iowait are idle; guest time is already in user.
		if i == 3 || i == 4 || i >= 8 {
			continue
		}
		busy += n
	}
	return time.Duration(busy) * clockTick
}

func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return math.NaN()
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return math.NaN()
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// recording is what ffprobe finds in a recorded FLV file.
type recording struct {
	VideoFrames  int     `json:"video_frames"`  // decoded video frames
	AudioPackets int     `json:"audio_packets"` // AAC frames
	Duration     float64 `json:"duration_s"`    // container duration
	FirstVideo   float64 `json:"first_video_pts_s"`
	FirstAudio   float64 `json:"first_audio_pts_s"`
	LastVideo    float64 `json:"last_video_pts_s"`
	LastAudio    float64 `json:"last_audio_pts_s"`
	BitRate      float64 `json:"bit_rate_kbps"` // whole file
	PixFmt       string  `json:"pix_fmt"`
	Profile      string  `json:"profile"`
	HasBFrames   int     `json:"has_b_frames"`
}

// probe runs ffprobe on an FLV recording: the video frames are decoded
// and counted, the packets' PTS give each track's first and last time.
func probe(path string) (recording, error) {
	var r recording
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames",
		"-show_entries", "stream=codec_type,nb_read_frames,pix_fmt,profile,has_b_frames:format=duration,bit_rate",
		"-of", "json", path).Output()
	if err != nil {
		return r, fmt.Errorf("ffprobe %s: %w", path, exitText(err))
	}
	var info struct {
		Streams []struct {
			CodecType    string `json:"codec_type"`
			NbReadFrames string `json:"nb_read_frames"`
			PixFmt       string `json:"pix_fmt"`
			Profile      string `json:"profile"`
			HasBFrames   int    `json:"has_b_frames"`
		} `json:"streams"`
		Format struct {
			Duration string `json:"duration"`
			BitRate  string `json:"bit_rate"`
		} `json:"format"`
	}
	if err := json.Unmarshal(out, &info); err != nil {
		return r, fmt.Errorf("ffprobe %s: %w", path, err)
	}
	for _, s := range info.Streams {
		if s.CodecType == "video" {
			r.VideoFrames, _ = strconv.Atoi(s.NbReadFrames)
			r.PixFmt, r.Profile, r.HasBFrames = s.PixFmt, s.Profile, s.HasBFrames
		}
	}
	r.Duration, _ = strconv.ParseFloat(info.Format.Duration, 64)
	br, _ := strconv.ParseFloat(info.Format.BitRate, 64)
	r.BitRate = br / 1000

	out, err = exec.Command("ffprobe", "-v", "error", "-show_entries", "packet=codec_type,pts_time",
		"-of", "csv=p=0", path).Output()
	if err != nil {
		return r, fmt.Errorf("ffprobe packets %s: %w", path, exitText(err))
	}
	first := map[string]float64{"video": math.Inf(1), "audio": math.Inf(1)}
	last := map[string]float64{"video": math.Inf(-1), "audio": math.Inf(-1)}
	for _, line := range strings.Split(string(out), "\n") {
		typ, v, ok := strings.Cut(strings.TrimSpace(line), ",")
		if !ok {
			continue
		}
		pts, err := strconv.ParseFloat(strings.TrimSuffix(v, ","), 64)
		if err != nil {
			continue
		}
		if typ == "audio" {
			r.AudioPackets++
		}
		first[typ] = math.Min(first[typ], pts)
		last[typ] = math.Max(last[typ], pts)
	}
	if math.IsInf(first["video"], 0) || math.IsInf(first["audio"], 0) {
		return r, fmt.Errorf("%s: a track has no packets", path)
	}
	r.FirstVideo, r.FirstAudio = first["video"], first["audio"]
	r.LastVideo, r.LastAudio = last["video"], last["audio"]
	return r, nil
}

func exitText(err error) error {
	if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, bytes.TrimSpace(ee.Stderr))
	}
	return err
}
