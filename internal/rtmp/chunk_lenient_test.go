package rtmp

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/golivecast/golivecast/internal/testkit"
	rtmp "github.com/yutopp/go-rtmp"
	rtmpmsg "github.com/yutopp/go-rtmp/message"
)

// lenientPayload is an AMF0 _result for transaction 1 with two nulls:
// 21 bytes.
const lenientPayload = "02 0007 5f726573756c74 00 3ff0000000000000 05 05"

// Chunk streams that begin with each header type (RTMP 1.0 section
// 5.3.1.2). A type-1 or type-2 header on a new chunk stream leaves fields
// out; they start at zero, as librtmp and ffmpeg read them, and as one
// server in use sends its connect _result. A type-3 header has nothing to
// go on and stays an error. Each case is one or two messages on chunk
// stream 3.
var lenientCases = []struct {
	name     string
	size     int // the chunk size the reader is at
	bytes    string
	want     []Message
	err      error
	goRTMPOK bool // go-rtmp's reader agrees (it cannot read an empty message)
}{
	{"type 0 first", 128, "03 000005 000015 14 01000000" + lenientPayload,
		[]Message{{Type: 20, StreamID: 1, Timestamp: 5}}, nil, true},
	{"type 1 first", 128, "43 000005 000015 14" + lenientPayload,
		[]Message{{Type: 20, Timestamp: 5}}, nil, true},
	{"type 1 first, extended timestamp delta", 128, "43 ffffff 000015 14 01000000" + lenientPayload,
		[]Message{{Type: 20, Timestamp: 0x01000000}}, nil, true},
	{"type 1 first, continued by type 3", 16, "43 000005 000015 14 02 0007 5f726573756c74 00 3ff0000000 c3 000000 05 05",
		[]Message{{Type: 20, Timestamp: 5}}, nil, true},
	{"type 1 first, then type 2", 128, "43 000005 000015 14" + lenientPayload + "83 000003" + lenientPayload,
		[]Message{{Type: 20, Timestamp: 5}, {Type: 20, Timestamp: 8}}, nil, true},
	{"type 2 first: an empty message of type 0", 128, "83 000007" + "03 000009 000015 14 00000000" + lenientPayload,
		[]Message{{Timestamp: 7}, {Type: 20, Timestamp: 9}}, nil, false},
	{"type 3 first", 128, "c3" + lenientPayload, nil, ErrProtocol, false},
	{"type 1 first, too long", 128, "43 000005 ffffff 14", nil, ErrProtocol, false},
}

func TestChunkStreamFirstHeader(t *testing.T) {
	payload := testkit.Unhex(t, lenientPayload)
	for _, c := range lenientCases {
		t.Run(c.name, func(t *testing.T) {
			cr := NewChunkReader(bytes.NewReader(testkit.Unhex(t, c.bytes)))
			cr.size = c.size
			for i, want := range c.want {
				m, err := cr.ReadMessage()
				if err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				if want.Type != 0 {
					want.Payload = payload
				}
				if m.Type != want.Type || m.StreamID != want.StreamID || m.Timestamp != want.Timestamp || !bytes.Equal(m.Payload, want.Payload) {
					t.Errorf("message %d: got %+v, want %+v", i, m, want)
				}
			}
			_, err := cr.ReadMessage()
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("got %v, want %v", err, c.err)
				}
				return
			}
			if err != io.EOF {
				t.Fatalf("after the messages: %v, want io.EOF", err)
			}
			if c.goRTMPOK {
				checkWithGoRTMP(t, testkit.Unhex(t, c.bytes), c.size, c.want)
			}
		})
	}
}

// checkWithGoRTMP reads the same bytes with go-rtmp's chunk reader, an
// independent implementation, which must see the same commands, stream
// ids and timestamps.
func checkWithGoRTMP(t *testing.T, b []byte, size int, want []Message) {
	t.Helper()
	cfg := rtmp.StreamControlStateConfig{
		DefaultChunkSize: uint32(size), MaxChunkSize: 1 << 24, MaxChunkStreams: 64,
		DefaultAckWindowSize: math.MaxInt32, MaxAckWindowSize: math.MaxInt32,
		DefaultBandwidthWindowSize: math.MaxInt32, MaxBandwidthWindowSize: math.MaxInt32,
		MaxMessageSize: 1 << 24, MaxMessageStreams: 64,
	}
	cs := rtmp.NewChunkStreamer(bufio.NewReader(bytes.NewReader(b)), bufio.NewWriter(io.Discard), &cfg)
	defer cs.Close()
	for i, w := range want {
		var cm rtmp.ChunkMessage
		csid, ts, err := cs.Read(&cm)
		if err != nil {
			t.Fatalf("go-rtmp, message %d: %v", i, err)
		}
		cmd, ok := cm.Message.(*rtmpmsg.CommandMessage)
		if csid != 3 || ts != w.Timestamp || cm.StreamID != w.StreamID || !ok || cmd.CommandName != "_result" || cmd.TransactionID != 1 {
			t.Errorf("go-rtmp, message %d: csid %d ts %d stream %d %#v; want ts %d stream %d _result 1", i, csid, ts, cm.StreamID, cm.Message, w.Timestamp, w.StreamID)
		}
	}
}

var updateSeeds = flag.Bool("update-seeds", false, "write the committed fuzz seeds of the case tables")

// TestWriteFuzzSeeds keeps the committed seeds of FuzzChunkReader in step
// with the case tables: with -update-seeds it writes them.
func TestWriteFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzChunkReader")
	for i, c := range lenientCases {
		name := filepath.Join(dir, fmt.Sprintf("first-header-%d", i))
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", testkit.Unhex(t, c.bytes))
		got, err := os.ReadFile(name)
		if *updateSeeds {
			if err := os.WriteFile(name, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err != nil || string(got) != want {
			t.Errorf("seed %s is missing or stale (go test -run TestWriteFuzzSeeds -update-seeds): %v", name, err)
		}
	}
}
