package rtmptest

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/golivecast/golivecast/internal/rawrtmp"
)

// TestExtendedTimestampChunks sends video messages with extended
// timestamps that span several chunks, laid out as a conforming client and
// as go-rtmp's writer do, at the initial chunk size and after Set Chunk
// Size.
func TestExtendedTimestampChunks(t *testing.T) {
	for _, c := range []struct {
		name       string
		chunkSize  int
		omitRepeat bool
	}{
		{"conforming", 128, false},
		{"no repeat", 128, true},
		{"conforming after set chunk size", 4096, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := Start(Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			conn, err := rawrtmp.Dial(ctx, s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.Connect(ctx, "live", s.URL("live", "")); err != nil {
				t.Fatal(err)
			}
			id, _, err := conn.CreateStream(ctx, 2)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Publish(ctx, id, "k"); err != nil {
				t.Fatal(err)
			}
			var raw []byte
			if c.chunkSize != 128 {
				raw = append(raw, rawrtmp.SetChunkSize(uint32(c.chunkSize))...)
			}
			var want [][]byte
			for i, ts := range []uint32{0x01000000 + 7, 0x01000000 + 40} {
				body := make([]byte, 3*c.chunkSize-50) // three chunks
				copy(body, []byte{0x27, 0x01, 0, 0, 0})
				for j := 5; j < len(body); j++ {
					body[j] = byte(i + j)
				}
				want = append(want, body)
				raw = append(raw, rawrtmp.Chunks(6, 9, id, ts, body, c.chunkSize, !c.omitRepeat)...)
			}
			if err := conn.WriteRaw(raw); err != nil {
				t.Fatal(err)
			}
			waitFor(t, s, func(evs []Event) bool { return count(evs, KindVideo) == 2 || count(evs, KindClose) > 0 })
			var got []Event
			for _, e := range s.Events() {
				if e.Kind == KindVideo {
					got = append(got, e)
				}
			}
			if len(got) != 2 {
				t.Fatalf("%d video events, want 2: %v", len(got), s.Events())
			}
			for i, ts := range []uint32{0x01000000 + 7, 0x01000000 + 40} {
				if got[i].Timestamp != ts || !bytes.Equal(got[i].Body, want[i]) {
					t.Errorf("video %d: ts=%d body %x..., want ts=%d body %x...", i, got[i].Timestamp, head(got[i].Body), ts, head(want[i]))
				}
			}
		})
	}
}

// TestExtTimestampFilter checks the filter alone: a conforming layout comes
// out as go-rtmp's, other layouts unchanged.
func TestExtTimestampFilter(t *testing.T) {
	handshake := bytes.Repeat([]byte{3}, handshakeSize)
	body := bytes.Repeat([]byte{0xab}, 1000)
	var in, want []byte
	in = append(in, handshake...)
	want = append(want, handshake...)
	for _, part := range [][2][]byte{
		{rawrtmp.Chunks(4, 8, 1, 5, body, 128, true), nil}, // no extended timestamp
		{rawrtmp.Chunks(6, 9, 1, 0xffffff, body, 128, true), rawrtmp.Chunks(6, 9, 1, 0xffffff, body, 128, false)},
		{rawrtmp.Chunks(6, 9, 1, 0x1234567, body, 128, false), nil}, // already without repeats
		{rawrtmp.SetChunkSize(300), nil},
		{rawrtmp.Chunks(4, 8, 1, 0x2000000, body, 300, true), rawrtmp.Chunks(4, 8, 1, 0x2000000, body, 300, false)},
	} {
		in = append(in, part[0]...)
		if part[1] == nil {
			part[1] = part[0]
		}
		want = append(want, part[1]...)
	}
	got, err := io.ReadAll(newExtTimestampFilter(bytes.NewReader(in)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("filtered %d bytes, want %d", len(got), len(want))
	}
}

func head(b []byte) []byte { return b[:min(len(b), 16)] }
