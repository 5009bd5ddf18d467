package encode

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/gen2brain/x264-go/x264c"
)

type x264CPUName struct {
	name  string
	flags uint32
}

// x264's names for the CPU capabilities it uses, with the flags each one
// implies (x264 common/cpu.c, x264_cpu_names).
var (
	x264CPUNamesX86 = func() []x264CPUName {
		const (
			mmx2 = x264c.CpuMmx | x264c.CpuMmx2
			sse2 = mmx2 | x264c.CpuSse | x264c.CpuSse2
			avx  = sse2 | x264c.CpuSse3 | x264c.CpuSsse3 | x264c.CpuSse4 | x264c.CpuSse42 | x264c.CpuAvx
			avx2 = avx | x264c.CpuFma3 | x264c.CpuLzcnt | x264c.CpuBmi1 | x264c.CpuBmi2 | x264c.CpuAvx2
		)
		return []x264CPUName{
			{"MMX2", mmx2},
			{"MMXEXT", mmx2},
			{"SSE", mmx2 | x264c.CpuSse},
			{"SSE2Slow", sse2 | x264c.CpuSse2IsSlow},
			{"SSE2", sse2},
			{"SSE2Fast", sse2 | x264c.CpuSse2IsFast},
			{"LZCNT", sse2 | x264c.CpuLzcnt},
			{"SSE3", sse2 | x264c.CpuSse3},
			{"SSSE3", sse2 | x264c.CpuSse3 | x264c.CpuSsse3},
			{"SSE4.1", sse2 | x264c.CpuSse3 | x264c.CpuSsse3 | x264c.CpuSse4},
			{"SSE4", sse2 | x264c.CpuSse3 | x264c.CpuSsse3 | x264c.CpuSse4},
			{"SSE4.2", sse2 | x264c.CpuSse3 | x264c.CpuSsse3 | x264c.CpuSse4 | x264c.CpuSse42},
			{"AVX", avx},
			{"XOP", avx | x264c.CpuXop},
			{"FMA4", avx | x264c.CpuFma4},
			{"FMA3", avx | x264c.CpuFma3},
			{"BMI1", avx | x264c.CpuLzcnt | x264c.CpuBmi1},
			{"BMI2", avx | x264c.CpuLzcnt | x264c.CpuBmi1 | x264c.CpuBmi2},
			{"AVX2", avx2},
			{"AVX512", avx2 | x264c.CpuAvx512},
			{"Cache32", x264c.CpuCacheline32},
			{"Cache64", x264c.CpuCacheline64},
			{"SlowAtom", x264c.CpuSlowAtom},
			{"SlowPshufb", x264c.CpuSlowPshufb},
			{"SlowPalignr", x264c.CpuSlowPalignr},
			{"SlowShuffle", x264c.CpuSlowShuffle},
			{"UnalignedStack", x264c.CpuStackMod4},
		}
	}()
	x264CPUNamesARM64 = []x264CPUName{
		{"ARMv8", x264c.CpuArmv8},
		{"NEON", x264c.CpuNeon},
		{"DotProd", x264c.CpuDotprod},
		{"I8MM", x264c.CpuI8mm},
		{"SVE", x264c.CpuSve},
		{"SVE2", x264c.CpuSve2},
	}
)

// x264CPUNames names the CPU capabilities in the flags x264_param_default
// detected, as x264's "using cpu capabilities" line does (x264
// encoder/encoder.c): "none" when x264 runs no assembly, as the bundled
// build.
func x264CPUNames(flags uint32) string {
	if flags == 0 {
		return "none"
	}
	var table []x264CPUName
	switch runtime.GOARCH {
	case "amd64", "386":
		table = x264CPUNamesX86
	case "arm64":
		table = x264CPUNamesARM64
	default:
		return fmt.Sprintf("%#x", flags)
	}
	var names []string
	for i, c := range table {
		// Names that a later one implies, as x264 leaves them out.
		switch c.name {
		case "SSE":
			if flags&x264c.CpuSse2 != 0 {
				continue
			}
		case "SSE2":
			if flags&(x264c.CpuSse2IsFast|x264c.CpuSse2IsSlow) != 0 {
				continue
			}
		case "SSE3":
			if flags&x264c.CpuSsse3 != 0 || flags&x264c.CpuCacheline64 == 0 {
				continue
			}
		case "SSE4.1":
			if flags&x264c.CpuSse42 != 0 {
				continue
			}
		case "LZCNT":
			if flags&x264c.CpuBmi1 != 0 {
				continue
			}
		case "BMI1":
			if flags&x264c.CpuBmi2 != 0 {
				continue
			}
		case "FMA4":
			if flags&x264c.CpuFma3 != 0 {
				continue
			}
		}
		if flags&c.flags == c.flags && (i == 0 || c.flags != table[i-1].flags) {
			names = append(names, c.name)
		}
	}
	return strings.Join(names, " ")
}
