package rawrtmp

import (
	"fmt"

	"github.com/yutopp/go-rtmp/message"
)

// Message is one message received from the server, decoded.
type Message struct {
	ChunkStreamID int
	StreamID      uint32 // message stream id
	Timestamp     uint32 // milliseconds
	TypeID        byte   // RTMP message type (20 = AMF0 command, 18 = AMF0 data, ...)

	// Command and data messages: the name, the transaction id (commands
	// only) and the AMF0 values that follow.
	Name          string
	TransactionID int64
	Args          []any

	// Audio and video messages: the body.
	Payload []byte

	// Message is go-rtmp's decoded form (for control messages such as
	// *message.SetChunkSize, *message.WinAckSize, *message.UserCtrl).
	Message message.Message
}

// Status returns the level, code and description of the information object
// carried by an onStatus, _result or _error command (the first object
// argument holding a "code"). ok is false when there is none.
func (m Message) Status() (level, code, description string, ok bool) {
	if m.TypeID != byte(message.TypeIDCommandMessageAMF0) {
		return "", "", "", false
	}
	for _, a := range m.Args {
		obj, isObj := a.(map[string]any)
		if !isObj {
			continue
		}
		c, hasCode := obj["code"].(string)
		if !hasCode {
			continue
		}
		level, _ = obj["level"].(string)
		description, _ = obj["description"].(string)
		return level, c, description, true
	}
	return "", "", "", false
}

// String gives a one-line description for test logs.
func (m Message) String() string {
	switch {
	case m.Name != "" && m.TypeID == byte(message.TypeIDCommandMessageAMF0):
		return fmt.Sprintf("command %q tx=%d stream=%d args=%v", m.Name, m.TransactionID, m.StreamID, m.Args)
	case m.Name != "":
		return fmt.Sprintf("data %q stream=%d args=%v", m.Name, m.StreamID, m.Args)
	case m.Payload != nil:
		return fmt.Sprintf("type %d stream=%d ts=%d %d bytes", m.TypeID, m.StreamID, m.Timestamp, len(m.Payload))
	default:
		return fmt.Sprintf("type %d stream=%d %+v", m.TypeID, m.StreamID, m.Message)
	}
}
