package rtmptest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	amf0 "github.com/yutopp/go-amf0"
	"github.com/yutopp/go-flv/tag"

	"github.com/golivecast/golivecast/internal/rawrtmp"
	"github.com/golivecast/golivecast/internal/testkit"
)

// sent is one audio or video message a test publisher sends.
type sent struct {
	kind Kind
	ts   uint32
	body []byte
}

// media is a short stream: sequence headers, then frames with positive
// and negative composition times, and audio.
var media = []sent{
	{KindVideo, 0, []byte{0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0x00, 0x02, 0x67, 0x42, 0x01, 0x00, 0x02, 0x68, 0xce}},
	{KindAudio, 0, []byte{0xaf, 0x00, 0x12, 0x10}},
	{KindVideo, 0, []byte{0x17, 0x01, 0x00, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01, 0x65}},  // cts +80
	{KindAudio, 0, []byte{0xaf, 0x01, 0x21, 0x10, 0x04}},                                // raw AAC
	{KindVideo, 33, []byte{0x27, 0x01, 0xff, 0xff, 0xd8, 0x00, 0x00, 0x00, 0x01, 0x41}}, // cts -40
	{KindAudio, 23, []byte{0xaf, 0x01, 0x21, 0x10, 0x05}},
	{KindVideo, 67, []byte{0x27, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x41}},
	{KindAudio, 46, []byte{0x2e, 0x01, 0x02}}, // MP3 mono: a one-byte header
}

var metadata = amf0.ECMAArray{"width": 1280.0, "height": 720.0, "videocodecid": 7.0, "encoder": "golivecast-test"}

// publish publishes app/key the way ffmpeg and OBS do (releaseStream,
// FCPublish, createStream, publish), sends metadata and media, then
// unpublishes (FCUnpublish, deleteStream) and closes.
//
// go-rtmp's own client is not used: its ClientConn reads its stream map
// on the read loop without the lock that CreateStream and DeleteStream
// take to write it, which the race detector reports.
func publish(t *testing.T, s *Server, app, key string) {
	t.Helper()
	c, err := rawrtmp.Dial(context.Background(), s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	publishOn(t, s, c, app, key)
}

// publishOn is publish on a connection the test opened.
func publishOn(t *testing.T, s *Server, c *rawrtmp.Conn, app, key string) {
	t.Helper()
	ctx := context.Background()
	defer c.Close()
	tcURL, _, _ := strings.Cut(s.URL(app, key), "/"+key)
	if seen, err := c.Connect(ctx, app, tcURL); err != nil {
		t.Fatalf("connect: %v %v", err, seen)
	}
	must(t, c.Command(0, "releaseStream", 2, nil, key))
	must(t, c.Command(0, "FCPublish", 3, nil, key))
	id, seen, err := c.CreateStream(ctx, 4)
	if err != nil {
		t.Fatalf("createStream: %v %v", err, seen)
	}
	if seen, err := c.Publish(ctx, id, key); err != nil {
		t.Fatalf("publish: %v %v", err, seen)
	}
	must(t, c.Data(id, 0, "@setDataFrame", "onMetaData", metadata))
	for _, m := range media {
		if m.kind == KindVideo {
			must(t, c.Video(id, m.ts, m.body))
		} else {
			must(t, c.Audio(id, m.ts, m.body))
		}
	}
	must(t, c.Command(0, "FCUnpublish", 5, nil, key))
	must(t, c.Command(0, "deleteStream", 6, nil, float64(id)))
	// Everything is written once the server has seen deleteStream.
	waitFor(t, s, func(evs []Event) bool { return count(evs, KindDeleteStream) > 0 })
}

func TestPublishEventsAndRecording(t *testing.T) {
	dir := t.TempDir()
	var recorded []string
	var mu sync.Mutex
	s, err := Start(Config{Record: func(app, key string) (io.WriteCloser, error) {
		p := filepath.Join(dir, app+"-"+key+".flv")
		mu.Lock()
		recorded = append(recorded, p)
		mu.Unlock()
		return os.Create(p)
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	publish(t, s, "live", "k1")
	waitFor(t, s, func(evs []Event) bool { return count(evs, KindClose) > 0 })
	evs := s.Events()
	for _, e := range evs {
		t.Log(e)
	}

	// The steps, in order.
	var kinds []Kind
	for _, e := range evs {
		if e.Kind != KindAudio && e.Kind != KindVideo {
			kinds = append(kinds, e.Kind)
		}
	}
	want := []Kind{KindConnect, KindReleaseStream, KindFCPublish, KindCreateStream, KindPublish, KindSetDataFrame,
		KindFCUnpublish, KindDeleteStream, KindClose}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("kinds = %v, want %v", kinds, want)
	}
	c := evs[0]
	if c.Conn != 1 || c.Connect == nil || c.Connect.App != "live" || c.Connect.TCURL != "rtmp://"+s.Addr()+"/live" ||
		!strings.HasPrefix(c.Connect.FlashVer, "FMLE/3.0") || c.Connect.Type != "nonprivate" {
		t.Errorf("connect event = %+v %+v", c, c.Connect)
	}
	p := find(evs, KindPublish)
	if p.App != "live" || p.Key != "k1" || p.PublishType != "live" || p.StreamID == 0 || p.Err != nil {
		t.Errorf("publish event = %v", p)
	}
	for _, k := range []Kind{KindReleaseStream, KindFCPublish, KindFCUnpublish} {
		if e := find(evs, k); e.Key != "k1" {
			t.Errorf("%s event = %v, want key k1", k, e)
		}
	}
	if e := find(evs, KindDeleteStream); e.StreamID != p.StreamID {
		t.Errorf("deleteStream event = %v, want stream %d", e, p.StreamID)
	}
	md := find(evs, KindSetDataFrame)
	if md.Name != "onMetaData" || !reflect.DeepEqual(md.Metadata, map[string]any(metadata)) {
		t.Errorf("setDataFrame event = %v", md)
	}

	// Media events: timestamps, decoded headers and bytes as sent.
	var got []Event
	for _, e := range evs {
		if e.Kind == KindAudio || e.Kind == KindVideo {
			got = append(got, e)
		}
	}
	if len(got) != len(media) {
		t.Fatalf("%d media events, want %d", len(got), len(media))
	}
	for i, m := range media {
		e := got[i]
		if e.Kind != m.kind || e.Timestamp != m.ts || !bytes.Equal(e.Body, m.body) || e.Key != "k1" || e.Err != nil {
			t.Errorf("media %d = %v body %x, want %s ts=%d body %x", i, e, e.Body, m.kind, m.ts, m.body)
		}
	}
	if v := got[0].Video; v == nil || v.FrameType != uint8(tag.FrameTypeKeyFrame) || v.CodecID != uint8(tag.CodecIDAVC) ||
		v.AVCPacketType != uint8(tag.AVCPacketTypeSequenceHeader) || !bytes.Equal(got[0].Payload, media[0].body[5:]) {
		t.Errorf("AVC sequence header event = %+v payload %x", v, got[0].Payload)
	}
	if a := got[1].Audio; a == nil || a.SoundFormat != uint8(tag.SoundFormatAAC) || a.AACPacketType != uint8(tag.AACPacketTypeSequenceHeader) ||
		!bytes.Equal(got[1].Payload, []byte{0x12, 0x10}) {
		t.Errorf("AAC sequence header event = %+v payload %x", a, got[1].Payload)
	}
	if v := got[2].Video; v == nil || v.CompositionTime != 80 || v.AVCPacketType != uint8(tag.AVCPacketTypeNALU) {
		t.Errorf("cts of video 2 = %+v, want 80", v)
	}
	if v := got[4].Video; v == nil || v.CompositionTime != -40 || v.FrameType != uint8(tag.FrameTypeInterFrame) {
		t.Errorf("cts of video 4 = %+v, want -40", v)
	}
	if a := got[7].Audio; a == nil || a.SoundFormat != uint8(tag.SoundFormatMP3) || !bytes.Equal(got[7].Payload, []byte{0x01, 0x02}) {
		t.Errorf("MP3 event = %+v payload %x", a, got[7].Payload)
	}

	// The recording holds the same tags, in the same order.
	mu.Lock()
	defer mu.Unlock()
	if len(recorded) != 1 {
		t.Fatalf("recorded %v, want one file", recorded)
	}
	tags := testkit.ReadFLVFile(t, recorded[0])
	if len(tags) != 1+len(media) {
		t.Fatalf("recording has %d tags, want %d", len(tags), 1+len(media))
	}
	if tags[0].Type != tag.TagTypeScriptData || !reflect.DeepEqual(tags[0].Script["onMetaData"], map[string]any(metadata)) {
		t.Errorf("first tag = %+v, want onMetaData %v", tags[0], metadata)
	}
	for i, m := range media {
		tg := tags[i+1]
		wantType := tag.TagTypeAudio
		if m.kind == KindVideo {
			wantType = tag.TagTypeVideo
		}
		if tg.Type != wantType || tg.Timestamp != m.ts || !bytes.Equal(tg.Body, m.body) {
			t.Errorf("tag %d = %d ts=%d %x, want %d ts=%d %x", i+1, tg.Type, tg.Timestamp, tg.Body, wantType, m.ts, m.body)
		}
	}
}

func TestCloseWithLiveConnections(t *testing.T) {
	s, err := Start(Config{Record: func(string, string) (io.WriteCloser, error) { return nopCloser{io.Discard}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// One publishing, one only connected, one that never handshakes.
	pub, err := rawrtmp.Dial(ctx, s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	if _, err := pub.Connect(ctx, "live", s.URL("live", "")); err != nil {
		t.Fatal(err)
	}
	id, _, err := pub.CreateStream(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pub.Publish(ctx, id, "k"); err != nil {
		t.Fatal(err)
	}
	idle, err := rawrtmp.Dial(ctx, s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if _, err := idle.Connect(ctx, "live", s.URL("live", "")); err != nil {
		t.Fatal(err)
	}
	raw, err := (&netDialer{}).dial(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	waitFor(t, s, func(evs []Event) bool { return count(evs, KindConnect) == 2 && count(evs, KindPublish) == 1 })

	start := time.Now()
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// Every accepted connection gets a close event; the bare TCP one may
	// not have been accepted yet when Close ran, so count the two others.
	connected := map[int]bool{}
	closed := 0
	for _, e := range s.Events() {
		switch {
		case e.Kind == KindConnect:
			connected[e.Conn] = true
		case e.Kind == KindClose && connected[e.Conn]:
			closed++
		}
	}
	if closed != 2 {
		t.Errorf("%d close events for connected clients, want 2: %v", closed, s.Events())
	}
	if err := s.WaitFor(ctx, func([]Event) bool { return false }); !errors.Is(err, ErrClosed) {
		t.Errorf("WaitFor after Close = %v, want ErrClosed", err)
	}
	if _, err := pub.ReadUntil(ctx, func(rawrtmp.Message) bool { return false }); !rawrtmp.IsClosed(err) {
		t.Errorf("publisher read after Close: %v, want closed", err)
	}
	// TestMain's goleak check covers every goroutine of the server.
}

// TestOddMessages checks that messages go-rtmp does not pass on as
// publish steps still show up in the event log.
func TestOddMessages(t *testing.T) {
	s, err := Start(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	c, err := rawrtmp.Dial(ctx, s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Connect(ctx, "live", s.URL("live", "")); err != nil {
		t.Fatal(err)
	}
	id, _, err := c.CreateStream(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	must(t, c.Audio(id, 5, []byte{0xaf, 0x00, 0x12, 0x10}))                 // before publish
	must(t, c.Data(id, 0, "@setDataFrame", "onMetaData", amf0.ECMAArray{})) // before publish
	must(t, c.Command(0, "noSuchCommand", 3, nil))
	if _, err := c.Publish(ctx, id, "k"); err != nil {
		t.Fatal(err)
	}
	must(t, c.Data(id, 0, "onMetaData", amf0.ECMAArray{"width": 1.0})) // without @setDataFrame
	must(t, c.Command(0, "deleteStream", 4, nil, float64(id)))
	waitFor(t, s, func(evs []Event) bool { return count(evs, KindDeleteStream) > 0 })
	var got []string
	for _, e := range s.Events() {
		switch e.Kind {
		case KindMessage, KindData, KindCommand:
			got = append(got, string(e.Kind)+" "+e.Name)
		}
	}
	want := []string{"message type 8", "data @setDataFrame", "command noSuchCommand", "data onMetaData"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("odd events = %q, want %q", got, want)
	}
}

func TestWaitForContext(t *testing.T) {
	s, err := Start(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.WaitFor(ctx, func(evs []Event) bool { return len(evs) > 0 }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitFor = %v, want DeadlineExceeded", err)
	}
	if got, want := s.URL("app", "key"), "rtmp://"+s.Addr()+"/app/key"; got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
}

func TestCloseRightAfterStart(t *testing.T) {
	for range 20 {
		s, err := Start(Config{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLogsRedactKey(t *testing.T) {
	var log lockedBuffer
	s, err := Start(Config{Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	publish(t, s, "live", "sekr1t")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	out := log.String()
	if !strings.Contains(out, "go-rtmp: ") || strings.Contains(out, "sekr1t") {
		t.Errorf("log shows the key or lacks go-rtmp's lines:\n%s", out)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestRedactGoRTMP(t *testing.T) {
	for in, want := range map[string]string{
		"Release stream...: StreamName = secret": "Release stream...: StreamName = ****",
		`Publisher is comming: &message.NetStreamPublish{CommandObject:interface {}(nil), PublishingName:"sec\"ret", PublishingType:"live"}`: `Publisher is comming: &message.NetStreamPublish{CommandObject:interface {}(nil), PublishingName:"****", PublishingType:"live"}`,
		"Ignored unknown message body: Err = UnknownCommandMessageDecodeError: Name = x, TransactionID = 3, Objs = [<nil> secret]":           "Ignored unknown message body: Err = UnknownCommandMessageDecodeError: Name = x, TransactionID = 3, Objs = ****",
		`&message.NetConnectionConnect{Command:message.NetConnectionConnectCommand{App:"live", TCURL:"rtmp://h/live/secret", Fpad:false}}`:   `&message.NetConnectionConnect{Command:message.NetConnectionConnectCommand{App:"live", TCURL:"rtmp://h/live/****", Fpad:false}}`,
		"Change state: From = a, To = b": "Change state: From = a, To = b",
	} {
		if got := redactGoRTMP(in); got != want {
			t.Errorf("redactGoRTMP(%q)\n = %q\nwant %q", in, got, want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"rtmp://h:1/live/secret": "rtmp://h:1/live/****",
		"rtmp://h:1/live":        "rtmp://h:1/live",
		"rtmp://h/a/b/c":         "rtmp://h/a/****",
		"":                       "",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
