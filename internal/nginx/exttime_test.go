package nginx_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/golivecast/golivecast/internal/nginx"
	"github.com/golivecast/golivecast/internal/rawrtmp"
	"github.com/golivecast/golivecast/internal/testkit"
)

// TestExtendedTimestamps shows how nginx-rtmp reads messages that span
// several chunks with an extended timestamp (past 2^24 ms, 4 h 40 min):
// with the timestamp repeated after each type-3 header (the specification,
// ffmpeg) they are recorded intact; without it (go-rtmp v0.0.7's writer)
// nginx takes 4 payload bytes of the continuation chunk as the timestamp,
// loses the chunk boundaries, logs "too big message: 1048576" and resets
// the connection.
func TestExtendedTimestamps(t *testing.T) {
	const ts = 0x01000000 + 7
	for _, c := range []struct {
		key    string
		repeat bool
	}{{"repeat", true}, {"norepeat", false}} {
		t.Run(c.key, func(t *testing.T) {
			n := testkit.StartNginx(t, nginx.Options{})
			conn := dial(t, n)
			id := publish(t, conn, n, "live", c.key)
			body := make([]byte, 300) // three chunks at 128
			copy(body, []byte{0x17, 0x01, 0, 0, 0})
			for i := 5; i < len(body); i++ {
				body[i] = byte(i)
			}
			raw := rawrtmp.Chunks(6, 9, id, 0, avcSequenceHeader, 128, c.repeat)
			raw = append(raw, rawrtmp.Chunks(6, 9, id, ts, body, 128, c.repeat)...)
			raw = append(raw, rawrtmp.Chunks(6, 9, id, ts+40, body, 128, c.repeat)...)
			must(t, conn.WriteRaw(raw))
			// The answer to createStream proves nginx has handled what came
			// before; without repeats it resets the connection instead.
			_, seen, err := conn.CreateStream(context.Background(), 3)
			if (err == nil) != c.repeat {
				t.Errorf("createStream after the messages: err=%v messages=%v", err, seen)
			}
			_ = conn.Close()
			n.Stop()
			var got []recorded
			for _, p := range n.RecordingsOf(c.key) {
				for _, r := range readRecording(t, p) {
					if bytes.Equal(r.body, body) {
						got = append(got, r)
					}
				}
			}
			intact := len(got) == 2 && got[0].timestamp == ts && got[1].timestamp == ts+40
			if intact != c.repeat {
				t.Errorf("recorded intact = %v, want %v (tags %v)", intact, c.repeat, got)
			}
		})
	}
}
