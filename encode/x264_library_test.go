package encode

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// forEachX264 runs f once per x264 library this build can use, in
// subtests named after the backend: the linked one (bundled, or the
// system one with -tags extlib) and, in a default build on Linux, a
// system libx264 loaded at run time. A missing system library fails
// under CI, where .ci/run installs libx264-dev, and skips elsewhere.
func forEachX264(t *testing.T, f func(t *testing.T, x *x264Lib)) {
	t.Helper()
	t.Run(string(linkedBackend), func(t *testing.T) {
		x, err := linkedX264()
		if err != nil {
			t.Fatal(err)
		}
		f(t, x)
	})
	if linkedBackend == X264Linked {
		return
	}
	t.Run(string(X264System), func(t *testing.T) { f(t, requireSystemX264(t)) })
}

func requireSystemX264(t testing.TB) *x264Lib {
	t.Helper()
	x, err := loadX264(x264SystemNames...)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no system libx264 (install the Debian package libx264-dev): %v", err)
		}
		t.Skipf("no system libx264 (Debian package libx264-dev): %v", err)
	}
	return x
}

// openH264 opens an encoder on library x, closed when the test ends.
func openH264(t testing.TB, x *x264Lib, opts H264Options) *H264 {
	t.Helper()
	e, err := newH264(opts, x)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// TestX264Libraries checks what each library reports about itself
// against what x264 itself logs when an encoder opens on it.
func TestX264Libraries(t *testing.T) {
	forEachX264(t, func(t *testing.T, x *x264Lib) {
		info := x.info
		t.Log(info)
		if !x264VerifiedBuild(info.Build) {
			t.Errorf("build %d", info.Build)
		}
		switch info.Backend {
		case X264Bundled:
			if info.Path != "" || info.CPU != "none" {
				t.Errorf("bundled x264 with path %q, cpu %q", info.Path, info.CPU)
			}
		case X264System:
			if !filepath.IsAbs(info.Path) || info.CPU == "none" {
				t.Errorf("system libx264 at %q with cpu %q", info.Path, info.CPU)
			}
		}
		var logs bytes.Buffer
		logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		e := openH264(t, x, H264Options{Width: 64, Height: 48, Logger: logger})
		if _, err := e.Encode(pattern(64, 48, 0), 0); err != nil {
			t.Fatal(err)
		}
		want := "using cpu capabilities: " + info.CPU
		if info.CPU == "none" {
			want += "!"
		}
		if !strings.Contains(logs.String(), want+`"`) {
			t.Errorf("x264 did not log %q:\n%s", want, logs.String())
		}
		if !strings.Contains(logs.String(), "x264.backend="+string(info.Backend)) {
			t.Errorf("the encoder did not log its backend:\n%s", logs.String())
		}
	})
}

func x264VerifiedBuild(b int) bool { return b == 164 || b == 165 }

// TestX264Default checks the process's choice: under CI, where the
// system library is installed, a default build must take it.
func TestX264Default(t *testing.T) {
	if v, ok := os.LookupEnv(X264Env); ok && v != "" && v != "auto" {
		t.Skipf("%s=%s set", X264Env, v)
	}
	info, err := X264Info()
	if err != nil {
		t.Fatal(err)
	}
	t.Log(info)
	want := X264Bundled
	switch {
	case linkedBackend == X264Linked:
		want = X264Linked
	case runtime.GOOS == "linux" && os.Getenv("CI") == "true":
		want = X264System
	case runtime.GOOS == "linux":
		if _, err := loadX264(x264SystemNames...); err == nil {
			want = X264System
		}
	}
	if info.Backend != want {
		t.Fatalf("backend %s, want %s", info.Backend, want)
	}
	if (info.Fallback != "") != (info.Backend == X264Bundled) {
		t.Fatalf("fallback reason %q with backend %s", info.Fallback, info.Backend)
	}
}

// x264ChildResult is what a child process reports of its choice.
type x264ChildResult struct {
	Info     X264Library
	Err      string
	Sentinel bool   // the error wraps ErrX264Library
	Encoded  bool   // NewH264 opened and encoded a picture
	EncErr   string // NewH264's error
	Log      string
}

// TestX264EnvChild is the child process of TestX264Env.
func TestX264EnvChild(t *testing.T) {
	if os.Getenv("GOLIVECAST_TEST_X264_CHILD") != "1" {
		t.Skip("run by TestX264Env")
	}
	var r x264ChildResult
	info, err := X264Info()
	r.Info = info
	if err != nil {
		r.Err, r.Sentinel = err.Error(), errors.Is(err, ErrX264Library)
	}
	var logs bytes.Buffer
	e, err := NewH264(H264Options{Width: 64, Height: 48, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		r.EncErr = err.Error()
		if r.Err != r.EncErr {
			t.Errorf("X264Info: %v; NewH264: %v", r.Err, err)
		}
	} else {
		defer e.Close()
		pk, err := e.Encode(image.NewRGBA(image.Rect(0, 0, 64, 48)), 0)
		r.Encoded = err == nil && len(pk) == 1 && pk[0].Keyframe
	}
	r.Log = logs.String()
	b, _ := json.Marshal(r)
	os.Stdout.Write(append(append([]byte("\nRESULT "), b...), '\n'))
}

// runX264Child runs TestX264EnvChild with GOLIVECAST_X264=value.
func runX264Child(t *testing.T, value string) x264ChildResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestX264EnvChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "GOLIVECAST_TEST_X264_CHILD=1", X264Env+"="+value)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child with %s=%s: %v\n%s", X264Env, value, err, out)
	}
	_, line, ok := bytes.Cut(out, []byte("\nRESULT "))
	if !ok {
		t.Fatalf("child with %s=%s printed no result:\n%s", X264Env, value, out)
	}
	line, _, _ = bytes.Cut(line, []byte("\n"))
	var r x264ChildResult
	if err := json.Unmarshal(line, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestX264Env runs a process per value of GOLIVECAST_X264, since the
// choice is made once per process.
func TestX264Env(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	var sys *x264Lib
	if linkedBackend != X264Linked && runtime.GOOS == "linux" {
		sys = requireSystemX264(t)
	}
	ok := func(t *testing.T, r x264ChildResult, backend X264Backend) {
		t.Helper()
		if r.Err != "" || !r.Encoded || r.Info.Backend != backend {
			t.Fatalf("got %+v, want backend %s", r, backend)
		}
		if !strings.Contains(r.Log, "x264.backend="+string(backend)) {
			t.Fatalf("NewH264 did not log the backend:\n%s", r.Log)
		}
	}
	refused := func(t *testing.T, r x264ChildResult, why ...string) {
		t.Helper()
		if r.Err == "" || !r.Sentinel || r.Encoded || r.EncErr != r.Err {
			t.Fatalf("got %+v, want an ErrX264Library from X264Info and NewH264", r)
		}
		for _, w := range why {
			if !strings.Contains(r.Err, w) {
				t.Fatalf("error %q does not say %q", r.Err, w)
			}
		}
		t.Log(r.Err)
	}

	if linkedBackend == X264Linked {
		for _, v := range []string{"", "auto", "system"} {
			ok(t, runX264Child(t, v), X264Linked)
		}
		refused(t, runX264Child(t, "bundled"), "extlib")
		refused(t, runX264Child(t, "/usr/lib/libx264.so.164"), "extlib")
		return
	}

	t.Run("bundled", func(t *testing.T) {
		r := runX264Child(t, "bundled")
		ok(t, r, X264Bundled)
		if r.Info.Fallback != X264Env+"=bundled" || r.Info.CPU != "none" {
			t.Fatalf("%+v", r.Info)
		}
	})
	t.Run("auto", func(t *testing.T) {
		for _, v := range []string{"", "auto", " auto "} {
			r := runX264Child(t, v)
			if sys != nil {
				ok(t, r, X264System)
				if r.Info != sys.info {
					t.Fatalf("child took %+v, this process %+v", r.Info, sys.info)
				}
			} else {
				ok(t, r, X264Bundled)
				if !strings.Contains(r.Info.Fallback, "no usable system libx264") {
					t.Fatalf("fallback %q", r.Info.Fallback)
				}
			}
		}
	})
	t.Run("system", func(t *testing.T) {
		r := runX264Child(t, "system")
		if sys == nil {
			refused(t, r, X264Env+"=system")
			return
		}
		ok(t, r, X264System)
	})
	t.Run("path", func(t *testing.T) {
		if sys == nil {
			t.Skip("no system libx264")
		}
		r := runX264Child(t, sys.info.Path)
		ok(t, r, X264System)
		if r.Info.Path != sys.info.Path {
			t.Fatalf("path %q, want %q", r.Info.Path, sys.info.Path)
		}
	})
	t.Run("refused", func(t *testing.T) {
		if runtime.GOOS != "linux" {
			t.Skip("libraries are loaded on Linux only")
		}
		fakes := fakeX264(t)
		missing := filepath.Join(t.TempDir(), "libx264.so.164")
		refused(t, runX264Child(t, missing), X264Env+"="+missing, "cannot open shared object file")
		refused(t, runX264Child(t, "fast"), `"fast"`, "want auto, bundled, system")
		refused(t, runX264Child(t, fakes.build161), "X264_BUILD 161", "not verified")
		refused(t, runX264Child(t, fakes.layout), "X264_BUILD 164", "x264_param_default wrote 952 bytes")
		refused(t, runX264Child(t, "/etc/hostname"), "/etc/hostname")
	})
}

type fakeX264Libs struct{ build161, layout string }

// fakeX264 builds two stand-ins for libx264 from testdata/fakex264.c: a
// build 161 one, and a build 164 one whose x264_param_t is 952 bytes.
func fakeX264(t *testing.T) fakeX264Libs {
	t.Helper()
	goenv, err := exec.Command("go", "env", "CC").Output()
	if err != nil {
		t.Fatalf("go env CC: %v", err)
	}
	cc := strings.Fields(string(goenv))
	if len(cc) == 0 {
		t.Fatal("go env CC is empty")
	}
	dir := t.TempDir()
	build := func(dir string, b, size int) string {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "libx264.so."+strconv.Itoa(b))
		args := append(cc[1:], "-shared", "-fPIC", "-o", out, "-DBUILD="+strconv.Itoa(b), "-DPARAM_SIZE="+strconv.Itoa(size),
			filepath.Join("testdata", "fakex264.c"))
		if b, err := exec.Command(cc[0], args...).CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", cc[0], args, err, b)
		}
		return out
	}
	return fakeX264Libs{
		build161: build(filepath.Join(dir, "a"), 161, 952),
		layout:   build(filepath.Join(dir, "b"), 164, 952),
	}
}
