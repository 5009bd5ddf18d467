//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestWritePPM(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.ppm")
	if err := writePPM(path, 0); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	header := "P6\n1280 720\n255\n"
	if !strings.HasPrefix(string(b), header) || len(b) != len(header)+1280*720*3 {
		t.Fatalf("PPM of %d bytes, header %q", len(b), b[:min(len(b), 16)])
	}
}

func TestSelfMeasures(t *testing.T) {
	if statusKB("self", "VmHWM") <= 0 {
		t.Error("no VmHWM for this process")
	}
	if machineBusy() <= 0 {
		t.Error("no busy time in /proc/stat")
	}
}
