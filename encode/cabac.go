package encode

// cabacContext is the state of one context variable (ITU-T H.264 9.3.1.1):
// the probability state index and the value of the most probable symbol.
type cabacContext struct {
	state uint8 // pStateIdx, 0..62
	mps   uint8 // valMPS
}

// newCabacContext initialises a context from its (m, n) pair for a slice
// QP (9.3.1.1, equations 9-5).
func newCabacContext(m, n int, sliceQP int) cabacContext {
	qp := min(max(sliceQP, 0), 51)
	pre := min(max(((m*qp)>>4)+n, 1), 126)
	if pre <= 63 {
		return cabacContext{state: uint8(63 - pre), mps: 0}
	}
	return cabacContext{state: uint8(pre - 64), mps: 1}
}

// mbSkipFlagInit holds (m, n) of ctxIdx 11, mb_skip_flag in a P slice
// with ctxIdxInc 0 (neither neighbour present and coded), for each
// cabac_init_idc (Table 9-13).
var mbSkipFlagInit = [3][2]int{{23, 33}, {22, 25}, {29, 16}}

// cabacEncoder is the arithmetic encoding engine of 9.3.4.2, writing
// into an rbspWriter.
type cabacEncoder struct {
	w           *rbspWriter
	low         uint32 // codILow, 10 bits
	rng         uint32 // codIRange, 9 bits
	outstanding int    // bitsOutstanding
	first       bool   // firstBitFlag
}

// start initialises the engine (9.3.4.1).
func (c *cabacEncoder) start(w *rbspWriter) {
	*c = cabacEncoder{w: w, rng: 510, first: true}
}

// decision encodes bin with ctx and updates ctx (9.3.4.2, EncodeDecision).
func (c *cabacEncoder) decision(ctx *cabacContext, bin uint8) {
	lps := uint32(rangeTabLPS[ctx.state][(c.rng>>6)&3])
	c.rng -= lps
	if bin != ctx.mps {
		c.low += c.rng
		c.rng = lps
		if ctx.state == 0 {
			ctx.mps = 1 - ctx.mps
		}
		ctx.state = transIdxLPS[ctx.state]
	} else if ctx.state < 62 {
		ctx.state++ // transIdxMPS
	}
	c.renorm()
}

// terminate encodes a bin of end_of_slice_flag (9.3.4.5,
// EncodeTerminate); a 1 also flushes the engine, and the last bit it
// writes is the rbsp_stop_one_bit.
func (c *cabacEncoder) terminate(bin uint8) {
	c.rng -= 2
	if bin != 0 {
		c.low += c.rng
		// EncodeFlush
		c.rng = 2
		c.renorm()
		c.put((c.low >> 9) & 1)
		c.w.u(2, ((c.low>>7)&3)|1)
		return
	}
	c.renorm()
}

// renorm is RenormE (9.3.4.3).
func (c *cabacEncoder) renorm() {
	for c.rng < 256 {
		switch {
		case c.low < 256:
			c.put(0)
		case c.low >= 512:
			c.low -= 512
			c.put(1)
		default:
			c.low -= 256
			c.outstanding++
		}
		c.rng <<= 1
		c.low <<= 1
	}
}

// put is PutBit (9.3.4.3): the first bit is never written.
func (c *cabacEncoder) put(b uint32) {
	if c.first {
		c.first = false
	} else {
		c.w.u(1, b)
	}
	for ; c.outstanding > 0; c.outstanding-- {
		c.w.u(1, 1-b)
	}
}

// rangeTabLPS is Table 9-44: codIRangeLPS by pStateIdx and
// qCodIRangeIdx.
var rangeTabLPS = [64][4]uint8{
	{128, 176, 208, 240}, {128, 167, 197, 227}, {128, 158, 187, 216}, {123, 150, 178, 205},
	{116, 142, 169, 195}, {111, 135, 160, 185}, {105, 128, 152, 175}, {100, 122, 144, 166},
	{95, 116, 137, 158}, {90, 110, 130, 150}, {85, 104, 123, 142}, {81, 99, 117, 135},
	{77, 94, 111, 128}, {73, 89, 105, 122}, {69, 85, 100, 116}, {66, 80, 95, 110},
	{62, 76, 90, 104}, {59, 72, 86, 99}, {56, 69, 81, 94}, {53, 65, 77, 89},
	{51, 62, 73, 85}, {48, 59, 69, 80}, {46, 56, 66, 76}, {43, 53, 63, 72},
	{41, 50, 59, 69}, {39, 48, 56, 65}, {37, 45, 54, 62}, {35, 43, 51, 59},
	{33, 41, 48, 56}, {32, 39, 46, 53}, {30, 37, 43, 50}, {29, 35, 41, 48},
	{27, 33, 39, 45}, {26, 31, 37, 43}, {24, 30, 35, 41}, {23, 28, 33, 39},
	{22, 27, 32, 37}, {21, 26, 30, 35}, {20, 24, 29, 33}, {19, 23, 27, 31},
	{18, 22, 26, 30}, {17, 21, 25, 28}, {16, 20, 23, 27}, {15, 19, 22, 25},
	{14, 18, 21, 24}, {14, 17, 20, 23}, {13, 16, 19, 22}, {12, 15, 18, 21},
	{12, 14, 17, 20}, {11, 14, 16, 19}, {11, 13, 15, 18}, {10, 12, 15, 17},
	{10, 12, 14, 16}, {9, 11, 13, 15}, {9, 11, 12, 14}, {8, 10, 12, 14},
	{8, 9, 11, 13}, {7, 9, 11, 12}, {7, 9, 10, 12}, {7, 8, 10, 11},
	{6, 8, 9, 11}, {6, 7, 9, 10}, {6, 7, 8, 9}, {2, 2, 2, 2},
}

// transIdxLPS is the state after a least probable symbol (Table 9-45);
// after a most probable one the state grows by one up to 62.
var transIdxLPS = [64]uint8{
	0, 0, 1, 2, 2, 4, 4, 5, 6, 7, 8, 9, 9, 11, 11, 12,
	13, 13, 15, 15, 16, 16, 18, 18, 19, 19, 21, 21, 22, 22, 23, 24,
	24, 25, 26, 26, 27, 27, 28, 29, 29, 30, 30, 30, 31, 32, 32, 33,
	33, 33, 34, 34, 35, 35, 35, 36, 36, 36, 37, 37, 37, 38, 38, 63,
}
