//go:build unix

package encode

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestScalePlaneGuardPages puts the source, the destination and the row
// right before inaccessible pages: a C path reading or writing past the
// bounds the Go code uses faults.
func TestScalePlaneGuardPages(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	for _, c := range [][6]int{
		{1920, 1080, 1920, 1280, 720, 1280}, {961, 541, 977, 643, 359, 650},
		{640, 360, 640, 1280, 720, 1280}, {33, 17, 40, 15, 9, 15}, {7, 3, 7, 5, 2, 5},
	} {
		sw, sh, ss, dw, dh, ds := c[0], c[1], c[2], c[3], c[4], c[5]
		var fx, fy scaleFilter
		fx.make(sw, float64(sw), dw)
		fy.make(sh, float64(sh), dh)
		src := guarded(t, (sh-1)*ss+sw)
		for i := range src {
			src[i] = byte(r.Uint32())
		}
		want := make([]byte, (dh-1)*ds+dw)
		scalePlaneGo(want, ds, dw, dh, src, ss, &fy, &fx, make([]byte, sw))
		for _, p := range scaleAvailablePaths() {
			got, row := guarded(t, len(want)), guarded(t, sw)
			scalePlanePath(p, got, ds, dw, dh, src, ss, &fy, &fx, row)
			if !bytes.Equal(got, want) {
				t.Fatalf("%dx%d -> %dx%d path %s differs", sw, sh, dw, dh, scalePathNames[p])
			}
		}
	}
}
