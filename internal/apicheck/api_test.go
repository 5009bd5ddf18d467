package apicheck

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the api/ files from the code")

// TestAPI fails when a public package's exported API differs from its
// api/ file: an API change must be a deliberate edit of that file.
func TestAPI(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range Packages {
		got, err := Features(filepath.Join(root, dir))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(root, File(dir))
		text := strings.Join(got, "\n") + "\n"
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (run go test ./internal/apicheck -update to write it)", dir, err)
		}
		want := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		var added, removed []string
		for _, l := range got {
			if !slices.Contains(want, l) {
				added = append(added, "+ "+l)
			}
		}
		for _, l := range want {
			if !slices.Contains(got, l) {
				removed = append(removed, "- "+l)
			}
		}
		if len(added)+len(removed) > 0 {
			t.Errorf("%s: the exported API differs from %s:\n%s\nIf the change is deliberate, run: go test ./internal/apicheck -update",
				dir, File(dir), strings.Join(append(removed, added...), "\n"))
		}
	}
}

// TestFeatures checks the listing on a package written for it.
func TestFeatures(t *testing.T) {
	dir := t.TempDir()
	src := `package demo

import "context"

// Hidden things are left out.
type hidden struct{ X int }

func helper() {}

type Source interface {
	Read(ctx context.Context, p []byte) (n int, err error)
	hidden()
}

type Config struct {
	URL, Key string
	Timeout  int
	secret   string
	*Embedded
	hidden
}

type Embedded struct{}

type Mode int

const (
	ModeA Mode = iota
	ModeB
	modeC
)

const Size = 1024

var ErrX = errorString("demo: x")

type errorString string

func (e errorString) Error() string { return string(e) }

func New(cfg Config, n, m int) (*Config, error) { return nil, nil }

func (c *Config) Run(ctx context.Context) error { return nil }

func (h hidden) Visible() {}

type Alias = Config
`
	if err := os.WriteFile(filepath.Join(dir, "demo.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "demo_windows.go"), []byte("package demo\n\nfunc OnlyOnWindows() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Features(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"pkg demo, const ModeA Mode",
		"pkg demo, const ModeB Mode",
		"pkg demo, const Size = 1024",
		"pkg demo, func New(Config, int, int) (*Config, error)",
		"pkg demo, method (*Config) Run(context.Context) error",
		"pkg demo, type Alias = Config",
		"pkg demo, type Config struct",
		"pkg demo, type Config struct, Key string",
		"pkg demo, type Config struct, Timeout int",
		"pkg demo, type Config struct, URL string",
		"pkg demo, type Config struct, embedded *Embedded",
		"pkg demo, type Embedded struct",
		"pkg demo, type Mode int",
		"pkg demo, type Source interface { Read }",
		"pkg demo, type Source interface, Read(context.Context, []byte) (int, error)",
		`pkg demo, var ErrX = errorString("demo: x")`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("features:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
