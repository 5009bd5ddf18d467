package nginx_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	amf0 "github.com/yutopp/go-amf0"
	"github.com/yutopp/go-flv/tag"

	"github.com/golivecast/golivecast/internal/nginx"
	"github.com/golivecast/golivecast/internal/rawrtmp"
	"github.com/golivecast/golivecast/internal/testkit"
)

func TestStartStopRestart(t *testing.T) {
	n := testkit.StartNginx(t, nginx.Options{})
	if !portOpen(n.Addr()) {
		t.Fatalf("port %s closed after Start", n.Addr())
	}
	if got, want := n.URL("live", "k"), "rtmp://"+n.Addr()+"/live/k"; got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
	port := n.Port()
	n.Stop()
	n.Stop() // idempotent
	if portOpen(n.Addr()) {
		t.Fatalf("port %s open after Stop", n.Addr())
	}
	n.Restart()
	if n.Port() != port || !portOpen(n.Addr()) {
		t.Fatalf("after Restart: port %d open=%v, want %d open", n.Port(), portOpen(n.Addr()), port)
	}
}

func TestFixedPortAndApps(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	n := testkit.StartNginx(t, nginx.Options{Port: port, Apps: []string{"a", "b"}})
	if n.Port() != port {
		t.Fatalf("Port = %d, want %d", n.Port(), port)
	}
	for _, app := range []string{"a", "b"} {
		c := dial(t, n)
		if _, err := c.Connect(context.Background(), app, "rtmp://"+n.Addr()+"/"+app); err != nil {
			t.Errorf("connect %s: %v", app, err)
		}
	}
}

// TestPublishIsRecorded publishes a few tags and reads them back from the
// recording nginx wrote. nginx-rtmp does not copy tags verbatim: it writes
// no onMetaData tag, and it writes the AVC and AAC sequence headers itself
// at the start of the file (so the AAC one appears twice).
func TestPublishIsRecorded(t *testing.T) {
	n := testkit.StartNginx(t, nginx.Options{})
	c := dial(t, n)
	id := publish(t, c, n, "live", "rec")

	meta := amf0.ECMAArray{"width": 64.0, "height": 36.0, "videocodecid": 7.0, "audiocodecid": 10.0}
	must(t, c.Data(id, 0, "@setDataFrame", "onMetaData", meta))
	must(t, c.Video(id, 0, avcSequenceHeader))
	must(t, c.Audio(id, 0, aacSequenceHeader))
	var want []recorded
	for i := range 3 {
		ts := uint32(i * 40)
		// A one-NALU access unit with composition time 80 ms.
		frame := []byte{0x27, 0x01, 0x00, 0x00, 0x50, 0x00, 0x00, 0x00, 0x02, 0x01, byte(i)}
		if i == 0 {
			frame[0] = 0x17
		}
		aac := []byte{0xaf, 0x01, 0x21, byte(i)}
		must(t, c.Video(id, ts, frame))
		must(t, c.Audio(id, ts, aac))
		want = append(want, recorded{tag.TagTypeVideo, ts, frame}, recorded{tag.TagTypeAudio, ts, aac})
	}
	// nginx handles messages in order and answers nothing to deleteStream:
	// the answer to one more createStream proves every tag before it has
	// been written to the recording.
	if _, seen, err := c.CreateStream(context.Background(), 3); err != nil {
		t.Fatalf("createStream barrier: %v (messages %v)", err, seen)
	}
	must(t, c.Command(0, "deleteStream", 0, nil, float64(id)))
	_ = c.Close()
	n.Stop()

	recs := n.RecordingsOf("rec")
	if len(recs) != 1 {
		t.Fatalf("recordings of rec = %v, want one (all: %v)", recs, n.Recordings())
	}
	var got []recorded
	var headers int
	for _, r := range readRecording(t, recs[0]) {
		switch {
		case bytes.Equal(r.body, avcSequenceHeader), bytes.Equal(r.body, aacSequenceHeader):
			headers++
		case r.typ == tag.TagTypeScriptData:
			t.Logf("recording has a script tag at %d ms", r.timestamp)
		default:
			got = append(got, r)
		}
	}
	if headers < 2 {
		t.Errorf("recording has %d sequence headers, want both", headers)
	}
	if len(got) != len(want) {
		t.Fatalf("recording has %d media tags, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].typ != want[i].typ || got[i].timestamp != want[i].timestamp || !bytes.Equal(got[i].body, want[i].body) {
			t.Errorf("tag %d = %v, want %v", i, got[i], want[i])
		}
	}
}

// TestRefusals pins down how nginx-rtmp refuses, which a publisher must
// recognise. Observed with nginx 1.22.1 + libnginx-mod-rtmp 1.2.2 (Debian 12):
//   - unknown application: the socket is closed right after connect, with
//     no byte sent (no _error, no window-size messages);
//   - "deny publish": nginx first sends onStatus NetStream.Publish.Start
//     (level status, "Start publishing"), then closes the socket; so
//     Publish.Start alone does not prove the publish was accepted;
//   - key already published: onStatus NetStream.Publish.BadName (level
//     error, "Already publishing") and the connection stays open.
func TestRefusals(t *testing.T) {
	ctx := context.Background()

	t.Run("unknown app", func(t *testing.T) {
		n := testkit.StartNginx(t, nginx.Options{})
		c := dial(t, n)
		seen, err := c.Connect(ctx, "nope", "rtmp://"+n.Addr()+"/nope")
		if !rawrtmp.IsClosed(err) {
			t.Fatalf("connect to unknown app: err = %v, messages %v; want the socket closed", err, seen)
		}
		if b := c.Received(); len(b) != 0 {
			t.Errorf("nginx sent %x before closing, want nothing", b)
		}
	})

	t.Run("deny publish", func(t *testing.T) {
		n := testkit.StartNginx(t, nginx.Options{DenyPublish: true})
		c := dial(t, n)
		id := connectAndCreate(t, c, n, "live")
		seen, err := c.Publish(ctx, id, "k")
		if err != nil {
			t.Fatalf("publish: %v (messages %v)", err, seen)
		}
		if _, code, _, _ := seen[len(seen)-1].Status(); code != "NetStream.Publish.Start" {
			t.Errorf("first status = %s, want NetStream.Publish.Start (nginx-rtmp's order)", seen[len(seen)-1])
		}
		after, err := c.ReadUntil(ctx, func(rawrtmp.Message) bool { return false })
		if !rawrtmp.IsClosed(err) {
			t.Fatalf("after a denied publish: err = %v, messages %v; want the socket closed", err, after)
		}
		if len(after) != 0 {
			t.Errorf("messages before the close: %v, want none", after)
		}
	})

	t.Run("already publishing", func(t *testing.T) {
		n := testkit.StartNginx(t, nginx.Options{})
		first := dial(t, n)
		publish(t, first, n, "live", "dup")
		second := dial(t, n)
		id := connectAndCreate(t, second, n, "live")
		seen, err := second.Publish(ctx, id, "dup")
		if err != nil {
			t.Fatalf("second publish: %v (messages %v)", err, seen)
		}
		level, code, desc, _ := seen[len(seen)-1].Status()
		if level != "error" || code != "NetStream.Publish.BadName" || desc != "Already publishing" {
			t.Errorf("status = %s/%s/%q, want error/NetStream.Publish.BadName/\"Already publishing\"", level, code, desc)
		}
		// The connection stays open: a read times out rather than ending.
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if _, err := second.Read(rctx); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("read after BadName: %v, want a timeout (connection kept open)", err)
		}
	})
}

// aacSequenceHeader is an FLV audio tag body holding the
// AudioSpecificConfig of AAC-LC 44.1 kHz stereo.
var aacSequenceHeader = []byte{0xaf, 0x00, 0x12, 0x10}

// avcSequenceHeader is an FLV video tag body holding an
// AVCDecoderConfigurationRecord for 64x36 Constrained Baseline.
var avcSequenceHeader = []byte{
	0x17, 0x00, 0x00, 0x00, 0x00, // keyframe, AVC, sequence header, cts 0
	0x01, 0x42, 0xc0, 0x0a, 0xff, 0xe1, // version, profile, compat, level, NALU length 4, 1 SPS
	0x00, 0x0b, 0x67, 0x42, 0xc0, 0x0a, 0xda, 0x11, 0x3c, 0xf9, 0x60, 0x22, 0x00, // SPS (approximate)
	0x01, 0x00, 0x04, 0x68, 0xce, 0x3c, 0x80, // 1 PPS
}

func dial(t *testing.T, n *testkit.Nginx) *rawrtmp.Conn {
	t.Helper()
	c, err := rawrtmp.Dial(context.Background(), n.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func connectAndCreate(t *testing.T, c *rawrtmp.Conn, n *testkit.Nginx, app string) uint32 {
	t.Helper()
	ctx := context.Background()
	if seen, err := c.Connect(ctx, app, "rtmp://"+n.Addr()+"/"+app); err != nil {
		t.Fatalf("connect: %v (messages %v)", err, seen)
	}
	id, seen, err := c.CreateStream(ctx, 2)
	if err != nil {
		t.Fatalf("createStream: %v (messages %v)", err, seen)
	}
	return id
}

func publish(t *testing.T, c *rawrtmp.Conn, n *testkit.Nginx, app, key string) uint32 {
	t.Helper()
	id := connectAndCreate(t, c, n, app)
	seen, err := c.Publish(context.Background(), id, key)
	if err != nil {
		t.Fatalf("publish: %v (messages %v)", err, seen)
	}
	if _, code, _, _ := seen[len(seen)-1].Status(); code != "NetStream.Publish.Start" {
		t.Fatalf("publish answered %s", seen[len(seen)-1])
	}
	return id
}

// recorded is one FLV tag with its whole body (header bytes included).
// recorded is a tag as the test sent it or read it back.
type recorded struct {
	typ       tag.TagType
	timestamp uint32
	body      []byte
}

// readRecording reads a recording back with an independent FLV reader.
func readRecording(t *testing.T, path string) []recorded {
	t.Helper()
	var out []recorded
	for _, tg := range testkit.ReadFLVFile(t, path) {
		out = append(out, recorded{tg.Type, tg.Timestamp, tg.Body})
	}
	return out
}

func portOpen(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestNoRecord: with NoRecord nginx takes a publish and writes nothing.
func TestNoRecord(t *testing.T) {
	n := testkit.StartNginx(t, nginx.Options{NoRecord: true})
	c := dial(t, n)
	id := publish(t, c, n, "live", "norec")
	must(t, c.Video(id, 0, avcSequenceHeader))
	if _, seen, err := c.CreateStream(context.Background(), 3); err != nil {
		t.Fatalf("createStream barrier: %v (messages %v)", err, seen)
	}
	must(t, c.Command(0, "deleteStream", 0, nil, float64(id)))
	_ = c.Close()
	n.Stop()
	if recs := n.Recordings(); len(recs) != 0 {
		t.Fatalf("recordings %v, want none", recs)
	}
	if !strings.Contains(n.Log(), "norec") {
		t.Fatalf("nginx did not see the publish:\n%s", n.Log())
	}
}
