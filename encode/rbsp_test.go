package encode

import (
	"bytes"
	"encoding/hex"
	"math"
	"testing"

	"github.com/bluenviron/mediacommon/pkg/bits"
	"github.com/bluenviron/mediacommon/pkg/codecs/h264"
)

// rbspOp is one syntax element for the writer test: u(n), ue(v) or se(v)
// (ITU-T H.264 7.2, 9.1).
type rbspOp struct {
	kind byte // 'u', 'e' (ue), 's' (se)
	n    uint
	v    int64
}

// TestRBSPWriter writes elements whose codes the standard fixes and
// compares the bytes, then reads them back with mediacommon's reader.
func TestRBSPWriter(t *testing.T) {
	for _, c := range []struct {
		name string
		ops  []rbspOp
		hex  string // with rbsp_trailing_bits
	}{
		{"u(3)", []rbspOp{{'u', 3, 5}}, "b0"},                                              // 101 1 0000
		{"ue 0..3", []rbspOp{{'e', 0, 0}, {'e', 0, 1}, {'e', 0, 2}, {'e', 0, 3}}, "a6 48"}, // 1 010 011 00100, then 1 000
		{"ue 7", []rbspOp{{'e', 0, 7}}, "11"},                                              // 0001000, then 1
		{"se ±1 ±2", []rbspOp{{'s', 0, 1}, {'s', 0, -1}, {'s', 0, 2}, {'s', 0, -2}}, "4c 85 80"},
		{"se 0", []rbspOp{{'s', 0, 0}}, "c0"},
		{"u(32)", []rbspOp{{'u', 32, 0xdeadbeef}}, "de ad be ef 80"},
		{"ue 2^32-2", []rbspOp{{'e', 0, math.MaxUint32 - 1}}, "00 00 00 01 ff ff ff ff"}, // 31 zeros, 32 ones, 1
		{"ue 2^32-1", []rbspOp{{'e', 0, math.MaxUint32}}, "00 00 00 00 80 00 00 00 40"},  // 32 zeros, 1, 32 zeros, 1
		{"ue 3600", []rbspOp{{'e', 0, 3600}}, "00 1c 23"},                                // 11 zeros, 111000010001, 1
	} {
		t.Run(c.name, func(t *testing.T) {
			var w rbspWriter
			w.reset(nil)
			for _, op := range c.ops {
				switch op.kind {
				case 'u':
					w.u(op.n, uint32(op.v))
				case 'e':
					w.ue(uint32(op.v))
				case 's':
					w.se(int32(op.v))
				}
			}
			w.trailing()
			want, _ := hex.DecodeString(stripSpaces(c.hex))
			if !bytes.Equal(w.bytes(), want) {
				t.Fatalf("wrote % x, want % x", w.bytes(), want)
			}
			b, pos := w.bytes(), 0
			for i, op := range c.ops {
				var got int64
				var err error
				switch op.kind {
				case 'u':
					var v uint64
					v, err = bits.ReadBits(b, &pos, int(op.n))
					got = int64(v)
				case 'e':
					var v uint32
					v, err = bits.ReadGolombUnsigned(b, &pos)
					got = int64(v)
				case 's':
					var v int32
					v, err = bits.ReadGolombSigned(b, &pos)
					got = int64(v)
				}
				if op.kind != 'e' || op.v < math.MaxUint32 { // mediacommon reads codes of up to 31 leading zeros
					if err != nil || got != op.v {
						t.Fatalf("element %d read back as %d, %v; wrote %d", i, got, err, op.v)
					}
				}
			}
		})
	}
}

// TestAppendEscaped checks emulation prevention (7.4.1) on the cases the
// standard names, and that mediacommon's remover gives the payload back.
func TestAppendEscaped(t *testing.T) {
	for _, c := range []struct{ rbsp, nal string }{
		{"00 00 00", "00 00 03 00"},
		{"00 00 01", "00 00 03 01"},
		{"00 00 02", "00 00 03 02"},
		{"00 00 03", "00 00 03 03"},
		{"00 00 04", "00 00 04"},
		{"00 00 00 00 00", "00 00 03 00 00 03 00"},
		{"00 01 00 00 01", "00 01 00 00 03 01"},
		{"ff 00 00 ff", "ff 00 00 ff"},
		{"00 00", "00 00"},
	} {
		rbsp, _ := hex.DecodeString(stripSpaces(c.rbsp))
		want, _ := hex.DecodeString(stripSpaces(c.nal))
		got := appendEscaped(nil, rbsp)
		if !bytes.Equal(got, want) {
			t.Errorf("% x escaped to % x, want % x", rbsp, got, want)
		}
		if back := h264.EmulationPreventionRemove(got); !bytes.Equal(back, rbsp) {
			t.Errorf("% x: mediacommon reads % x back", got, back)
		}
	}
}

func stripSpaces(s string) string { return string(bytes.ReplaceAll([]byte(s), []byte(" "), nil)) }
