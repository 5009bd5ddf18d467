package encode

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/gen2brain/x264-go/x264c"
)

// X264Env is the environment variable that chooses the x264 library. It
// is read once, when the first H.264 encoder opens or X264Info is first
// called:
//
//	auto (or unset)        a usable system libx264, else the bundled x264
//	bundled                the bundled x264
//	system                 a usable system libx264, else an error
//	/opt/lib/libx264.so.N  that library, else an error (any value holding
//	                       a '/' or starting with "libx264" is a library)
//
// Only auto falls back: a library asked for by name that cannot be used
// makes X264Info and NewH264 return an error wrapping ErrX264Library, which
// says why. In a program built with -tags extlib the linked library is the
// system one: auto and system take it, and the other values are errors.
const X264Env = "GOLIVECAST_X264"

// X264Backend says where the x264 library comes from.
type X264Backend string

const (
	// X264Bundled is x264-go's bundled C build of x264: portable, with no
	// assembly, 2.5 to 3 times as slow as a system libx264.
	X264Bundled X264Backend = "bundled"
	// X264System is a system libx264 loaded at run time (Linux).
	X264System X264Backend = "system"
	// X264Linked is the system libx264 linked into a program built with
	// -tags extlib.
	X264Linked X264Backend = "linked"
)

// X264Library describes the x264 library the H.264 encoders of this
// process use.
type X264Library struct {
	Backend X264Backend
	// Path is the file the library was mapped from; empty for the
	// bundled x264, which is part of the program.
	Path string
	// Build is the library's X264_BUILD.
	Build int
	// CPU lists the CPU capabilities the library's assembly uses, as x264
	// names them ("SSE2Fast SSSE3 ... AVX2"), or "none".
	CPU string
	// Fallback says why no system library is used, when Backend is
	// X264Bundled.
	Fallback string
}

// String describes the library on one line, for a log or a status page.
func (l X264Library) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "x264 build %d, %s", l.Build, l.Backend)
	if l.Backend == X264Linked {
		b.WriteString(" (-tags extlib)")
	}
	if l.Path != "" {
		fmt.Fprintf(&b, " %s", l.Path)
	}
	fmt.Fprintf(&b, ", cpu: %s", l.CPU)
	if l.Fallback != "" {
		fmt.Fprintf(&b, " (%s)", l.Fallback)
	}
	return b.String()
}

// LogValue groups the description for log/slog.
func (l X264Library) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("backend", string(l.Backend)),
		slog.Int("build", l.Build),
		slog.String("cpu", l.CPU),
	}
	if l.Path != "" {
		attrs = append(attrs, slog.String("path", l.Path))
	}
	if l.Fallback != "" {
		attrs = append(attrs, slog.String("fallback", l.Fallback))
	}
	return slog.GroupValue(attrs...)
}

// X264Info returns the x264 library that H.264 encoders use in this
// process, chosen once as X264Env says. The error, wrapping
// ErrX264Library, is the one NewH264 returns when the library asked for
// cannot be used.
func X264Info() (X264Library, error) {
	x, err := defaultX264()
	if err != nil {
		return X264Library{}, err
	}
	return x.info, nil
}

// defaultX264 is the library of every encoder NewH264 opens.
var defaultX264 = sync.OnceValues(func() (*x264Lib, error) { return chooseX264(os.Getenv(X264Env)) })

// x264SystemNames are tried in order by auto and system: the verified
// builds, newest first, then the development link, whatever build it
// leads to, so that a refusal names it.
var x264SystemNames = []string{"libx264.so.165", "libx264.so.164", "libx264.so"}

// chooseX264 picks the library for a value of X264Env.
func chooseX264(value string) (*x264Lib, error) {
	v := strings.TrimSpace(value)
	switch {
	case v == "" || v == "auto":
		if linkedBackend == X264Linked {
			return linkedX264()
		}
		sys, err := loadX264(x264SystemNames...)
		if err == nil {
			return sys, nil
		}
		return fallbackX264(fmt.Sprintf("no usable system libx264: %v", err))
	case v == "bundled":
		if linkedBackend == X264Linked {
			return nil, fmt.Errorf("%w: %s=bundled, but the program is built with -tags extlib, which links the system libx264 instead",
				ErrX264Library, X264Env)
		}
		return fallbackX264(X264Env + "=bundled")
	case v == "system":
		if linkedBackend == X264Linked {
			return linkedX264()
		}
		sys, err := loadX264(x264SystemNames...)
		if err != nil {
			return nil, fmt.Errorf("%w: %s=system: %v", ErrX264Library, X264Env, err)
		}
		return sys, nil
	case strings.Contains(v, "/") || strings.HasPrefix(v, "libx264"):
		if linkedBackend == X264Linked {
			return nil, fmt.Errorf("%w: %s=%s, but the program is built with -tags extlib, which links the system libx264 instead",
				ErrX264Library, X264Env, v)
		}
		lib, err := loadX264(v)
		if err != nil {
			return nil, fmt.Errorf("%w: %s=%v", ErrX264Library, X264Env, err) // err names v
		}
		return lib, nil
	default:
		return nil, fmt.Errorf("%w: %s=%q: want auto, bundled, system or the path of a libx264.so.N",
			ErrX264Library, X264Env, value)
	}
}

// linkedX264 is the x264 linked into the program: the bundled one, or the
// system one with -tags extlib.
var linkedX264 = sync.OnceValues(func() (*x264Lib, error) {
	x, err := newX264Lib(linkedX264API(), linkedBackend, linkedX264Path(), x264c.Build)
	if err != nil {
		return nil, fmt.Errorf("%w: the %s x264: %v", ErrX264Library, linkedBackend, err)
	}
	return x, nil
})

// fallbackX264 is the bundled x264, with the reason it is used.
func fallbackX264(reason string) (*x264Lib, error) {
	x, err := linkedX264()
	if err != nil {
		return nil, err
	}
	fb := *x
	fb.info.Fallback = reason
	return &fb, nil
}

// Loaded libraries stay loaded: an encoder may still run on them, and
// x264 cannot be unloaded safely once its threads have run.
var (
	x264LoadedMu sync.Mutex
	x264Loaded   = map[string]x264LoadResult{}
)

type x264LoadResult struct {
	lib *x264Lib
	err error
}

// loadX264 loads the first usable library of names, once per list.
func loadX264(names ...string) (*x264Lib, error) {
	key := strings.Join(names, "\x00")
	x264LoadedMu.Lock()
	defer x264LoadedMu.Unlock()
	r, ok := x264Loaded[key]
	if !ok {
		r.lib, r.err = dlopenX264(names)
		x264Loaded[key] = r
	}
	return r.lib, r.err
}
