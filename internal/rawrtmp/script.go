package rawrtmp

import (
	"context"
	"fmt"

	amf0 "github.com/yutopp/go-amf0"
)

// Connect sends connect (transaction 1) for app with tcURL, the way ffmpeg
// does, and reads until the server's _result or _error for it. It returns
// every message read, so a test sees what came before the answer.
func (c *Conn) Connect(ctx context.Context, app, tcURL string) ([]Message, error) {
	err := c.Command(0, "connect", 1, amf0.ECMAArray{
		"app":      app,
		"type":     "nonprivate",
		"flashVer": "FMLE/3.0 (compatible; golivecast)",
		"tcUrl":    tcURL,
	})
	if err != nil {
		return nil, err
	}
	return c.ReadUntil(ctx, isAnswer(1))
}

// CreateStream sends createStream with transactionID and reads until its
// answer; on _result it returns the new message stream id.
func (c *Conn) CreateStream(ctx context.Context, transactionID int64) (uint32, []Message, error) {
	if err := c.Command(0, "createStream", transactionID, nil); err != nil {
		return 0, nil, err
	}
	seen, err := c.ReadUntil(ctx, isAnswer(transactionID))
	if err != nil {
		return 0, seen, err
	}
	last := seen[len(seen)-1]
	if last.Name != "_result" || len(last.Args) < 2 {
		return 0, seen, fmt.Errorf("rawrtmp: createStream answered %s", last)
	}
	id, ok := last.Args[1].(float64)
	if !ok {
		return 0, seen, fmt.Errorf("rawrtmp: createStream answered %s", last)
	}
	return uint32(id), seen, nil
}

// Publish sends publish(key, "live") on streamID and reads until the first
// onStatus, which is the last message returned.
func (c *Conn) Publish(ctx context.Context, streamID uint32, key string) ([]Message, error) {
	if err := c.Command(streamID, "publish", 0, nil, key, "live"); err != nil {
		return nil, err
	}
	return c.ReadUntil(ctx, func(m Message) bool { return m.Name == "onStatus" })
}

func isAnswer(transactionID int64) func(Message) bool {
	return func(m Message) bool {
		return (m.Name == "_result" || m.Name == "_error") && m.TransactionID == transactionID
	}
}
