package encode

import (
	"bufio"
	"bytes"
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// traceUnit is one NAL unit as ffmpeg's trace_headers bitstream filter
// parses it: an independent reader of parameter sets and slice headers
// (libavcodec's coded-bitstream layer), which prints every syntax element
// with its value.
type traceUnit struct {
	Kind   string // "Sequence Parameter Set", "Picture Parameter Set", "Slice Header", …
	Packet int    // the packet it came in, from 0; -1 for the decoder configuration
	Fields []traceField
	// FFBytes counts the ff_byte elements of filler data.
	FFBytes int
}

type traceField struct {
	Name  string
	Value int64
}

// Get returns the value of the first field named name, and whether there
// is one.
func (u traceUnit) Get(name string) (int64, bool) {
	for _, f := range u.Fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return 0, false
}

// traceHeaders runs ffmpeg -bsf:v trace_headers over the video of path.
func traceHeaders(t testing.TB, path string) []traceUnit {
	t.Helper()
	requireTool(t, "ffmpeg")
	out := runCombined(t, "ffmpeg", "-hide_banner", "-nostdin", "-v", "info", "-i", path,
		"-map", "0:v", "-c", "copy", "-bsf:v", "trace_headers", "-f", "null", "-")
	var units []traceUnit
	packet := -1
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, "[trace_headers @")
		if i < 0 {
			continue
		}
		rest := line[i:]
		rest = strings.TrimSpace(rest[strings.Index(rest, "]")+1:])
		switch {
		case strings.HasPrefix(rest, "Packet:"):
			packet++
		case rest == "" || strings.HasPrefix(rest, "Extradata"):
		case rest[0] < '0' || rest[0] > '9':
			units = append(units, traceUnit{Kind: rest, Packet: packet})
		default:
			// "<bit> <name> <bits> = <value>"
			f := strings.Fields(rest)
			eq := len(f) - 2
			if len(units) == 0 || len(f) < 4 || f[eq] != "=" {
				continue
			}
			v, err := strconv.ParseInt(f[len(f)-1], 10, 64)
			if err != nil {
				continue
			}
			u := &units[len(units)-1]
			if f[1] == "ff_byte" { // filler data: counted, not listed
				u.FFBytes++
				continue
			}
			u.Fields = append(u.Fields, traceField{Name: f[1], Value: v})
		}
	}
	return units
}

// runCombined runs a tool and returns what it wrote to stdout and stderr,
// where ffmpeg logs.
func runCombined(t testing.TB, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, requireTool(t, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return out
}
