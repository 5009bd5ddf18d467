package rtmp

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/golivecast/golivecast/internal/testkit"
)

// Chunking cases: type-0 header, continuation chunks, and the extended
// timestamp repeated in every continuation (5.3.1.3).
var chunkCases = []struct {
	name    string
	csid    int
	typ     byte
	stream  uint32
	ts      uint32
	size    int
	payload string
	bytes   string
}{
	{"one chunk", 6, 8, 1, 0x010203, 128, "aabb",
		"06 010203 000002 08 01000000 aabb"},
	{"two chunks", 7, 9, 1, 40, 2, "112233",
		"07 000028 000003 09 01000000 1122 c7 33"},
	{"extended timestamp", 7, 9, 1, 0x01000000, 2, "112233",
		"07 ffffff 000003 09 01000000 01000000 1122 c7 01000000 33"},
	{"at the limit", 6, 8, 1, 0xffffff, 128, "aa",
		"06 ffffff 000001 08 01000000 00ffffff aa"},
}

func TestChunkWriter(t *testing.T) {
	for _, c := range chunkCases {
		var buf bytes.Buffer
		bw := bufio.NewWriter(&buf)
		cw := ChunkWriter{W: bw, Size: c.size}
		if err := cw.WriteMessage(c.csid, c.typ, c.stream, c.ts, testkit.Unhex(t, c.payload)); err != nil {
			t.Fatal(err)
		}
		bw.Flush()
		if want := testkit.Unhex(t, c.bytes); !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s:\n got %x\nwant %x", c.name, buf.Bytes(), want)
		}
		// Read back with our reader at the same chunk size.
		cr := NewChunkReader(bytes.NewReader(buf.Bytes()))
		cr.size = c.size
		m, err := cr.ReadMessage()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if m.Type != c.typ || m.StreamID != c.stream || m.Timestamp != c.ts || !bytes.Equal(m.Payload, testkit.Unhex(t, c.payload)) {
			t.Errorf("%s: read back %+v", c.name, m)
		}
	}
}

func FuzzChunkReader(f *testing.F) {
	for _, c := range chunkCases {
		f.Add(testkit.Unhex(f, c.bytes))
	}
	for _, c := range lenientCases {
		f.Add(testkit.Unhex(f, c.bytes))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cr := NewChunkReader(bytes.NewReader(b))
		for i := 0; i < 100; i++ {
			m, err := cr.ReadMessage()
			if err != nil {
				return
			}
			if m.Type == MsgSetChunkSize {
				if cr.SetChunkSize(m.Payload) != nil {
					return
				}
			}
		}
	})
}
