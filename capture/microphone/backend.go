package microphone

import (
	"bytes"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/gen2brain/malgo"
)

// Backend selects the audio system a Microphone talks to.
type Backend int

// Backends. The zero value, BackendAuto, tries the usual systems of the
// platform in order (on Linux: PulseAudio, which also serves PipeWire
// desktops, then ALSA, then JACK) and never falls back to BackendNull.
const (
	BackendAuto Backend = iota
	BackendPulseAudio
	BackendALSA
	BackendJACK
	BackendCoreAudio
	BackendWASAPI
	BackendDirectSound
	BackendWinMM
	BackendOSS
	BackendSndio
	BackendAudio4
	BackendAAudio
	BackendOpenSL
	// BackendNull is a fake device that captures silence in real time.
	// It is never chosen automatically, since a stream of silence that
	// looks like a working microphone would hide a missing sound card;
	// ask for it to test without audio hardware.
	BackendNull
)

// malgoBackendNull is miniaudio's ma_backend_null. malgo's BackendNull
// constant is one lower, which is ma_backend_custom.
const malgoBackendNull = malgo.Backend(14)

var backendInfo = map[Backend]struct {
	name  string
	malgo malgo.Backend
}{
	BackendPulseAudio:  {"pulseaudio", malgo.BackendPulseaudio},
	BackendALSA:        {"alsa", malgo.BackendAlsa},
	BackendJACK:        {"jack", malgo.BackendJack},
	BackendCoreAudio:   {"coreaudio", malgo.BackendCoreaudio},
	BackendWASAPI:      {"wasapi", malgo.BackendWasapi},
	BackendDirectSound: {"dsound", malgo.BackendDsound},
	BackendWinMM:       {"winmm", malgo.BackendWinmm},
	BackendOSS:         {"oss", malgo.BackendOss},
	BackendSndio:       {"sndio", malgo.BackendSndio},
	BackendAudio4:      {"audio4", malgo.BackendAudio4},
	BackendAAudio:      {"aaudio", malgo.BackendAaudio},
	BackendOpenSL:      {"opensl", malgo.BackendOpensl},
	BackendNull:        {"null", malgoBackendNull},
}

// String returns the backend's short name, as used in errors and logs.
func (b Backend) String() string {
	if b == BackendAuto {
		return "auto"
	}
	if info, ok := backendInfo[b]; ok {
		return info.name
	}
	return fmt.Sprintf("Backend(%d)", int(b))
}

// candidates lists the backends to try, in order of preference.
func (b Backend) candidates() ([]Backend, error) {
	if b != BackendAuto {
		if _, ok := backendInfo[b]; !ok {
			return nil, fmt.Errorf("%w: unknown %v", ErrNoBackend, b)
		}
		return []Backend{b}, nil
	}
	switch runtime.GOOS {
	case "android":
		return []Backend{BackendAAudio, BackendOpenSL}, nil
	case "linux":
		return []Backend{BackendPulseAudio, BackendALSA, BackendJACK}, nil
	case "darwin", "ios":
		return []Backend{BackendCoreAudio}, nil
	case "windows":
		return []Backend{BackendWASAPI, BackendDirectSound, BackendWinMM}, nil
	case "freebsd", "dragonfly":
		return []Backend{BackendOSS}, nil
	case "openbsd":
		return []Backend{BackendSndio, BackendAudio4}, nil
	case "netbsd":
		return []Backend{BackendAudio4}, nil
	default:
		return nil, fmt.Errorf("%w: no known audio backend on %s", ErrNoBackend, runtime.GOOS)
	}
}

// DeviceInfo describes a capture device.
type DeviceInfo struct {
	// Name is the human-readable name (on PulseAudio, the description,
	// such as "Monitor of Null Output").
	Name string
	// ID identifies the device within its backend (on PulseAudio, the
	// source name, such as "mysink.monitor"; on ALSA, "hw:0,0"). It is
	// the unambiguous choice for Options.Device.
	ID string
	// IsDefault reports whether the backend would pick this device when
	// none is named.
	IsDefault bool
	// Backend is the audio system that reported the device.
	Backend Backend
}

// String renders the device for error messages: the name people know
// and the ID that selects it unambiguously.
func (d DeviceInfo) String() string {
	if d.ID == "" {
		return fmt.Sprintf("%q", d.Name)
	}
	return fmt.Sprintf("%q (id %q)", d.Name, d.ID)
}

// List returns the capture devices of the first backend that
// starts, in the order BackendAuto tries them.
func List() ([]DeviceInfo, error) {
	ac, err := openAudioContext(BackendAuto, nil)
	if err != nil {
		return nil, err
	}
	defer ac.close()
	devs, _, err := ac.devices()
	return devs, err
}

// audioContext is an initialized malgo context and the backend it runs.
type audioContext struct {
	ctx     *malgo.AllocatedContext
	backend Backend
	// skipped says why preferred backends did not start, for errors
	// that would otherwise leave people wondering why PulseAudio was not
	// used.
	skipped string
}

// describe names the backend, and the ones skipped before it.
func (ac *audioContext) describe() string {
	if ac.skipped == "" {
		return ac.backend.String()
	}
	return fmt.Sprintf("%v (skipped %s)", ac.backend, ac.skipped)
}

// openAudioContext initializes the first backend of b's candidates that
// starts. Each is tried alone so that the error can say why each failed.
func openAudioContext(b Backend, log *slog.Logger) (*audioContext, error) {
	cands, err := b.candidates()
	if err != nil {
		return nil, err
	}
	var logProc malgo.LogProc
	if log != nil {
		logProc = func(msg string) {
			log.Debug("miniaudio", "message", strings.TrimSpace(msg))
		}
	}
	var reasons []string
	for _, c := range cands {
		ctx, err := malgo.InitContext([]malgo.Backend{backendInfo[c].malgo}, malgo.ContextConfig{}, logProc)
		if err == nil {
			return &audioContext{ctx: ctx, backend: c, skipped: strings.Join(reasons, "; ")}, nil
		}
		reasons = append(reasons, fmt.Sprintf("%v: %v", c, err))
	}
	return nil, fmt.Errorf("%w: %s", ErrNoBackend, strings.Join(reasons, "; "))
}

func (ac *audioContext) close() error {
	err := ac.ctx.Uninit()
	ac.ctx.Free()
	if err != nil {
		return fmt.Errorf("microphone: release %v audio context: %w", ac.backend, err)
	}
	return nil
}

// devices lists capture devices, with the raw IDs needed to open them.
func (ac *audioContext) devices() ([]DeviceInfo, []malgo.DeviceID, error) {
	raw, err := ac.ctx.Devices(malgo.Capture)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: list capture devices on %s: %w", ErrNoDevice, ac.describe(), err)
	}
	infos := make([]DeviceInfo, len(raw))
	ids := make([]malgo.DeviceID, len(raw))
	for i := range raw {
		infos[i] = DeviceInfo{
			Name:      raw[i].Name(),
			ID:        deviceIDString(raw[i].ID),
			IsDefault: raw[i].IsDefault != 0,
			Backend:   ac.backend,
		}
		ids[i] = raw[i].ID
	}
	return infos, ids, nil
}

// findDevice picks the device named by want: an exact ID first, since IDs
// are unique, then an exact name.
func findDevice(infos []DeviceInfo, want string) (int, error) {
	for i, d := range infos {
		if d.ID == want {
			return i, nil
		}
	}
	found := -1
	for i, d := range infos {
		if d.Name != want {
			continue
		}
		if found >= 0 {
			return -1, fmt.Errorf("%w: %q names several capture devices (%v, %v): use an ID",
				ErrNoDevice, want, infos[found], d)
		}
		found = i
	}
	if found < 0 {
		return -1, fmt.Errorf("%w: no capture device %q; capture devices: %s", ErrNoDevice, want, listDevices(infos))
	}
	return found, nil
}

func listDevices(infos []DeviceInfo) string {
	if len(infos) == 0 {
		return "none"
	}
	s := make([]string, len(infos))
	for i, d := range infos {
		s[i] = d.String()
	}
	return strings.Join(s, ", ")
}

// deviceIDString renders a miniaudio device ID. Most backends store a
// NUL-terminated name (UTF-16 on Windows), which is what people recognize;
// the others store a number, shown in hexadecimal.
func deviceIDString(id malgo.DeviceID) string {
	b := id[:]
	if runtime.GOOS == "windows" {
		u := make([]uint16, 0, len(b)/2)
		for i := 0; i+1 < len(b); i += 2 {
			c := uint16(b[i]) | uint16(b[i+1])<<8
			if c == 0 {
				break
			}
			u = append(u, c)
		}
		if s := string(utf16.Decode(u)); printable(s) {
			return s
		}
		return id.String()
	}
	if i := bytes.IndexByte(b, 0); i > 0 {
		if s := string(b[:i]); printable(s) {
			return s
		}
	}
	return id.String()
}

func printable(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
}
