package rtmptest

import (
	"context"
	"errors"
	"testing"

	"github.com/golivecast/golivecast/internal/rawrtmp"
)

// TestAuthorizeRefuses also records what go-rtmp's server answers at each
// step, as a client sees it.
func TestAuthorizeRefuses(t *testing.T) {
	errBad := errors.New("bad key")
	s, err := Start(Config{Authorize: func(app, key string) error {
		if key != "good" {
			return errBad
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()

	// What go-rtmp's server sends, step by step, as a client sees it.
	c, err := rawrtmp.Dial(ctx, s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	seen, err := c.Connect(ctx, "live", s.URL("live", ""))
	if err != nil {
		t.Fatalf("connect: %v %v", err, seen)
	}
	logMessages(t, "connect", seen)
	if _, code, _, _ := seen[len(seen)-1].Status(); seen[len(seen)-1].Name != "_result" || code != "NetConnection.Connect.Success" {
		t.Errorf("connect answered %s", seen[len(seen)-1])
	}
	// releaseStream and FCPublish get no answer from go-rtmp.
	if err := c.Command(0, "releaseStream", 2, nil, "bad"); err != nil {
		t.Fatal(err)
	}
	if err := c.Command(0, "FCPublish", 3, nil, "bad"); err != nil {
		t.Fatal(err)
	}
	id, seen, err := c.CreateStream(ctx, 4)
	if err != nil {
		t.Fatalf("createStream: %v %v", err, seen)
	}
	logMessages(t, "createStream", seen)
	if len(seen) != 1 {
		t.Errorf("before createStream's answer: %v, want nothing (no answer to releaseStream, FCPublish)", seen[:len(seen)-1])
	}
	seen, err = c.Publish(ctx, id, "bad")
	if err != nil {
		t.Fatalf("publish: %v %v", err, seen)
	}
	logMessages(t, "publish", seen)
	level, code, desc, _ := seen[len(seen)-1].Status()
	if level != "error" || code != "NetStream.Publish.Failed" || desc != "Publish failed." {
		t.Errorf("refused publish answered %s/%s/%q, want error/NetStream.Publish.Failed/\"Publish failed.\"", level, code, desc)
	}
	rest, err := c.ReadUntil(ctx, func(rawrtmp.Message) bool { return false })
	if !rawrtmp.IsClosed(err) || len(rest) != 0 {
		t.Errorf("after the refusal: %v %v, want the connection closed", rest, err)
	}

	waitFor(t, s, func(evs []Event) bool { return count(evs, KindClose) > 0 })
	evs := s.Events()
	p := find(evs, KindPublish)
	if !errors.Is(p.Err, errBad) || p.Key != "bad" {
		t.Errorf("publish event = %v, want Err %v", p, errBad)
	}
	for _, k := range []Kind{KindReleaseStream, KindFCPublish} {
		if e := find(evs, k); e.Key != "bad" {
			t.Errorf("%s event = %v", k, e)
		}
	}
	if e := find(evs, KindClose); e.Err == nil {
		t.Errorf("close event = %v, want the refusal as reason", e)
	}

	// An accepted publish, for comparison.
	c2, err := rawrtmp.Dial(ctx, s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, err := c2.Connect(ctx, "live", s.URL("live", "")); err != nil {
		t.Fatal(err)
	}
	id, _, err = c2.CreateStream(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	seen, err = c2.Publish(ctx, id, "good")
	if err != nil {
		t.Fatal(err)
	}
	logMessages(t, "accepted publish", seen)
	level, code, desc, _ = seen[len(seen)-1].Status()
	if level != "status" || code != "NetStream.Publish.Start" || desc != "Publish succeeded." {
		t.Errorf("accepted publish answered %s/%s/%q", level, code, desc)
	}
}
