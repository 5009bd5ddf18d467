package encode

// rbspWriter writes the bits of an H.264 raw byte sequence payload (RBSP,
// ITU-T H.264 7.2), most significant bit first, into a byte slice it
// reuses.
type rbspWriter struct {
	b   []byte
	acc uint64 // bits not yet in b, right-aligned
	n   uint   // how many bits acc holds, < 8 between calls
}

func (w *rbspWriter) reset(buf []byte) { *w = rbspWriter{b: buf[:0]} }

// u writes the n low bits of v (u(n), 7.2), n <= 32.
func (w *rbspWriter) u(n uint, v uint32) {
	w.acc = w.acc<<n | uint64(v)&(1<<n-1)
	w.n += n
	for w.n >= 8 {
		w.n -= 8
		w.b = append(w.b, byte(w.acc>>w.n))
	}
	w.acc &= 1<<w.n - 1
}

func (w *rbspWriter) flag(b bool) {
	if b {
		w.u(1, 1)
	} else {
		w.u(1, 0)
	}
}

// ue writes v as an unsigned Exp-Golomb code (ue(v), 9.1).
func (w *rbspWriter) ue(v uint32) {
	x := uint64(v) + 1
	bits := uint(0)
	for x>>bits > 1 {
		bits++
	}
	// bits leading zeros, then x in bits+1 bits.
	w.u(bits, 0)
	if bits >= 32 {
		w.u(1, 1)
		w.u(bits, uint32(x))
		return
	}
	w.u(bits+1, uint32(x))
}

// se writes v as a signed Exp-Golomb code (se(v), 9.1.1): k > 0 is
// 2k-1, k <= 0 is -2k.
func (w *rbspWriter) se(v int32) {
	if v > 0 {
		w.ue(uint32(2*int64(v) - 1))
	} else {
		w.ue(uint32(-2 * int64(v)))
	}
}

func (w *rbspWriter) aligned() bool { return w.n == 0 }

// alignOnes writes cabac_alignment_one_bit until the byte is complete
// (7.3.4).
func (w *rbspWriter) alignOnes() {
	for w.n != 0 {
		w.u(1, 1)
	}
}

// trailing writes rbsp_trailing_bits (7.3.2.11): a one, then zeros to
// the byte boundary.
func (w *rbspWriter) trailing() {
	w.u(1, 1)
	for w.n != 0 {
		w.u(1, 0)
	}
}

// bytes returns what was written; the writer must be byte-aligned.
func (w *rbspWriter) bytes() []byte { return w.b }

// appendEscaped appends rbsp to dst with emulation_prevention_three_byte
// inserted where two zero bytes are followed by a byte of 0 to 3 (7.4.1),
// so that no start code prefix can appear inside a NAL unit.
func appendEscaped(dst, rbsp []byte) []byte {
	zeros := 0
	for _, c := range rbsp {
		if zeros >= 2 && c <= 3 {
			dst = append(dst, 3)
			zeros = 0
		}
		dst = append(dst, c)
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return dst
}
