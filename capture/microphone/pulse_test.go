package microphone

// This test captures a real signal through PulseAudio: it starts a private
// PulseAudio daemon with a null sink, plays a 440 Hz tone into the sink
// with pacat, and records the sink's monitor source through
// Open.
//
// CI setup (Debian), as root or with sudo:
//
//	apt-get install -y --no-install-recommends pulseaudio pulseaudio-utils
//
// Nothing else: the test starts its own daemon (as root too, in user
// mode) on a socket in a temporary directory, so it neither needs nor
// touches a desktop's PulseAudio, and stops it when done. The daemon it
// runs is equivalent to:
//
//	export HOME=$DIR XDG_RUNTIME_DIR=$DIR
//	pulseaudio -n --daemonize=no --exit-idle-time=-1 --use-pid-file=no \
//	    --disable-shm=yes --log-target=stderr \
//	    --load="module-native-protocol-unix socket=$DIR/native auth-anonymous=1" \
//	    --load="module-null-sink sink_name=golivecast_test rate=48000 channels=2" &
//	PULSE_SERVER=unix:$DIR/native pactl info
//
// With CI=true a missing or failing PulseAudio fails the test; elsewhere
// it skips with the reason.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golivecast/golivecast/internal/testkit"

	"github.com/golivecast/golivecast/capture"
)

const pulseSink = "golivecast_test"

// needPulse fails under CI, where PulseAudio is part of the test setup,
// and skips elsewhere.
func needPulse(t *testing.T, format string, args ...any) {
	t.Helper()
	testkit.Missing(t, "PulseAudio (apt-get install pulseaudio pulseaudio-utils): "+format, args...)
}

// lockedBuffer collects a child's output; exec writes it from its own
// goroutine while the test may read it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startProcess starts cmd and registers its end: killed and waited for in
// t.Cleanup, so no process or exec goroutine outlives the test.
func startProcess(t *testing.T, cmd *exec.Cmd) *lockedBuffer {
	t.Helper()
	out := new(lockedBuffer)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		needPulse(t, "start %s: %v", cmd.Path, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return out
}

// startPulse runs a private PulseAudio daemon with a null sink and points
// this process (PULSE_SERVER, read by libpulse) at it. It returns the
// server address and the daemon, for tests that kill it.
func startPulse(t *testing.T) (string, *os.Process) {
	t.Helper()
	for _, tool := range []string{"pulseaudio", "pactl", "pacat"} {
		if _, err := exec.LookPath(tool); err != nil {
			needPulse(t, "%s not found", tool)
		}
	}
	// A short directory: a unix socket path must fit in 108 bytes.
	dir, err := os.MkdirTemp("", "golivecast-pulse")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	server := "unix:" + filepath.Join(dir, "native")
	env := append(os.Environ(), "HOME="+dir, "XDG_RUNTIME_DIR="+dir, "PULSE_SERVER="+server)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	daemon := exec.CommandContext(ctx, "pulseaudio", "-n",
		"--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
		"--disable-shm=yes", "--log-target=stderr",
		"--load=module-native-protocol-unix socket="+filepath.Join(dir, "native")+" auth-anonymous=1",
		"--load=module-null-sink sink_name="+pulseSink+" rate=48000 channels=2")
	daemon.Env = env
	log := startProcess(t, daemon)

	var out []byte
	ready := testkit.Poll(10*time.Second, func() bool {
		pactl := exec.CommandContext(ctx, "pactl", "list", "short", "sources")
		pactl.Env = env
		out, err = pactl.CombinedOutput()
		return err == nil && strings.Contains(string(out), pulseSink+".monitor")
	})
	if !ready {
		needPulse(t, "daemon not ready after 10s: pactl: %v %s\ndaemon log:\n%s", err, out, log)
	}
	t.Setenv("PULSE_SERVER", server)
	t.Setenv("XDG_RUNTIME_DIR", dir) // libpulse keeps its client state there
	return server, daemon.Process
}

func TestMicrophonePulseAudio(t *testing.T) {
	server, _ := startPulse(t)
	format := capture.AudioFormat{SampleRate: 48000, Channels: 2}
	const freq = 440.0

	// 10 s of tone, far more than the test reads; pacat is killed at the end.
	tone := capture.Tone(format, freq, 0.5)
	tone.Duration = 10 * time.Second
	var pcm []byte
	for {
		c, err := tone.ReadAudio(testContext(t))
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pcm = append(pcm, c.Data...)
	}
	file := filepath.Join(t.TempDir(), "tone.raw")
	if err := os.WriteFile(file, pcm, 0o644); err != nil {
		t.Fatal(err)
	}
	play := exec.Command("pacat", "--server="+server, "--playback", "--device="+pulseSink,
		"--format=s16le", "--rate=48000", "--channels=2", "--raw", file)
	playLog := startProcess(t, play)

	devs, err := List()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range devs {
		found = found || d.ID == pulseSink+".monitor" && d.Backend == BackendPulseAudio
	}
	if !found {
		t.Fatalf("List() = %v: no %s.monitor on pulseaudio", devs, pulseSink)
	}

	m, err := Open(Options{Device: pulseSink + ".monitor", Format: format})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if b := m.Device().Backend; b != BackendPulseAudio {
		t.Fatalf("opened on %v, want pulseaudio", b)
	}

	ctx := testContext(t)
	read := func() []byte {
		c, err := m.ReadAudio(ctx)
		if err != nil {
			t.Fatalf("ReadAudio: %v (pacat: %s)", err, playLog)
		}
		return c.Data
	}
	// Let the stream settle: pacat's start and the capture buffer fill.
	for start := time.Now(); time.Since(start) < 500*time.Millisecond; {
		read()
	}

	// Capture for about 2 s of wall-clock time.
	var got []byte
	start := time.Now()
	for time.Since(start) < 2*time.Second {
		got = append(got, read()...)
	}
	elapsed := time.Since(start)
	frames := len(got) / format.BytesPerFrame()
	pace := float64(frames) / (elapsed.Seconds() * float64(format.SampleRate))
	t.Logf("captured %d frames in %v: %.3f of real time; stats %+v", frames, elapsed, pace, m.Stats())
	if pace < 0.9 || pace > 1.1 {
		t.Errorf("captured %d frames in %v (%.2f of real time), want within 10%%", frames, elapsed, pace)
	}
	if s := m.Stats(); s.Dropped != 0 {
		t.Errorf("dropped %d frames while reading continuously", s.Dropped)
	}

	for c := range format.Channels {
		x := testkit.Channel(got, format.Channels, c)
		x = x[len(x)-format.SampleRate:] // the last second
		if r := testkit.RMS(x); r < 1000 {
			t.Fatalf("channel %d: RMS %.0f: the tone did not reach the monitor (pacat: %s)", c, r, playLog)
		}
		if f := testkit.DominantFrequency(x, format.SampleRate, 200, 1000, 1); math.Abs(f-freq) > 5 {
			t.Errorf("channel %d: dominant frequency %v Hz, want %v±5", c, f, freq)
		}
		if f := testkit.ZeroCrossingFrequency(x, format.SampleRate); math.Abs(f-freq) > 5 {
			t.Errorf("channel %d: zero crossings give %.2f Hz, want %v±5", c, f, freq)
		}
	}

	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestMicrophonePulseAudioServerDies kills the audio server under a
// running capture: miniaudio reports nothing, so the stall timeout must
// end ReadAudio, and Close must still return.
func TestMicrophonePulseAudioServerDies(t *testing.T) {
	_, daemon := startPulse(t)
	// An idle null sink's monitor takes about 2 s to deliver its first
	// audio: the stall timeout must not fire before.
	const stall = 4 * time.Second
	m, err := Open(Options{Device: pulseSink + ".monitor", StallTimeout: stall})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx := testContext(t)
	if _, err := m.ReadAudio(ctx); err != nil {
		t.Fatal(err)
	}
	if err := daemon.Kill(); err != nil {
		t.Fatal(err)
	}
	for {
		_, err := m.ReadAudio(ctx)
		if err == nil {
			continue // audio captured before the kill
		}
		if !errors.Is(err, ErrDeviceStopped) || !strings.Contains(err.Error(), pulseSink+".monitor") {
			t.Fatalf("ReadAudio after the server died = %v, want ErrDeviceStopped naming the device", err)
		}
		t.Logf("after the kill: %v", err)
		break
	}
	closed := make(chan error, 1)
	go func() { closed <- m.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Logf("Close after the server died: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs after the audio server died")
	}
}
