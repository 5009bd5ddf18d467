// Package rawrtmp is a scripted RTMP client for tests that must see exactly
// what a server answers: every message it sends, and whether it closes the
// connection without a word.
//
// go-rtmp's own client cannot do this: it drops onStatus, and its Connect
// and CreateStream wait forever when the server closes without answering.
// Here every step is bounded by a deadline on the socket, every message is
// decoded and handed back, and the bytes received are kept for inspection.
// It is a test tool, not a publisher: one caller goroutine drives it.
package rawrtmp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	amf0 "github.com/yutopp/go-amf0"
	rtmp "github.com/yutopp/go-rtmp"
	"github.com/yutopp/go-rtmp/handshake"
	"github.com/yutopp/go-rtmp/message"
)

// Chunk stream ids used for what this client sends; the values are the ones
// ffmpeg and OBS use, so servers see a familiar layout.
const (
	commandChunkStream = 3
	audioChunkStream   = 4
	videoChunkStream   = 6
)

// DefaultTimeout bounds Dial and each Read when the context has no deadline.
const DefaultTimeout = 5 * time.Second

// Conn is one client connection after the RTMP handshake.
type Conn struct {
	nc       net.Conn
	streamer *rtmp.ChunkStreamer
	rec      *recorder

	closeOnce sync.Once
	closeErr  error
}

// Dial opens a TCP connection to addr (host:port) and performs the plain
// RTMP handshake, all within ctx (or DefaultTimeout when ctx has no deadline).
func Dial(ctx context.Context, addr string) (*Conn, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()

	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("rawrtmp: dial: %w", err)
	}
	return Open(ctx, nc)
}

// Open performs the plain RTMP handshake on nc, a connection already open
// (a TLS connection, for RTMPS), within ctx (or DefaultTimeout when ctx
// has no deadline). The Conn owns nc; nc is closed on error.
func Open(ctx context.Context, nc net.Conn) (*Conn, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	deadline, _ := ctx.Deadline()
	if err := nc.SetDeadline(deadline); err != nil {
		_ = nc.Close()
		return nil, fmt.Errorf("rawrtmp: %w", err)
	}
	rec := &recorder{r: nc}
	if err := handshake.HandshakeWithServer(rec, nc, &handshake.Config{}); err != nil {
		_ = nc.Close()
		return nil, fmt.Errorf("rawrtmp: handshake: %w", err)
	}
	if err := nc.SetDeadline(time.Time{}); err != nil {
		_ = nc.Close()
		return nil, fmt.Errorf("rawrtmp: %w", err)
	}
	rec.reset() // keep only what follows the handshake
	// The streamer starts its own writer goroutine; Close stops it.
	streamer := rtmp.NewChunkStreamer(rec, nc, nil)
	return &Conn{nc: nc, streamer: streamer, rec: rec}, nil
}

// Close closes the socket and stops the streamer's writer goroutine,
// waiting for it. It is idempotent.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		// Closing the socket first unblocks a writer stuck on a full
		// send buffer; stopping the scheduler then ends its loop.
		c.closeErr = c.nc.Close()
		_ = c.streamer.Close()
		<-c.streamer.Done()
	})
	return c.closeErr
}

// Received returns a copy of every byte received after the handshake.
func (c *Conn) Received() []byte {
	return c.rec.bytes()
}

// Command sends an AMF0 command message (type 20) on message stream
// streamID. args follow the transaction id; nil encodes as AMF0 null.
func (c *Conn) Command(streamID uint32, name string, transactionID int64, args ...any) error {
	body, err := encodeAMF0(args)
	if err != nil {
		return err
	}
	return c.write(commandChunkStream, streamID, 0, &message.CommandMessage{
		CommandName:   name,
		TransactionID: transactionID,
		Encoding:      message.EncodingTypeAMF0,
		Body:          body,
	})
}

// Data sends an AMF0 data message (type 18) such as
// Data(1, 0, "@setDataFrame", "onMetaData", amf0.ECMAArray{...}).
func (c *Conn) Data(streamID, timestamp uint32, name string, args ...any) error {
	body, err := encodeAMF0(args)
	if err != nil {
		return err
	}
	return c.write(commandChunkStream, streamID, timestamp, &message.DataMessage{
		Name:     name,
		Encoding: message.EncodingTypeAMF0,
		Body:     body,
	})
}

// Audio sends an audio message whose payload is an FLV AUDIODATA body.
func (c *Conn) Audio(streamID, timestamp uint32, payload []byte) error {
	return c.write(audioChunkStream, streamID, timestamp, &message.AudioMessage{Payload: bytes.NewReader(payload)})
}

// Video sends a video message whose payload is an FLV VIDEODATA body.
func (c *Conn) Video(streamID, timestamp uint32, payload []byte) error {
	return c.write(videoChunkStream, streamID, timestamp, &message.VideoMessage{Payload: bytes.NewReader(payload)})
}

func (c *Conn) write(chunkStreamID int, streamID, timestamp uint32, msg message.Message) error {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
	defer cancel()
	// The streamer queues the message for its writer goroutine; a write
	// error shows up on a later call or as a closed connection on Read.
	if err := c.streamer.Write(ctx, chunkStreamID, timestamp, &rtmp.ChunkMessage{
		StreamID: streamID,
		Message:  msg,
	}); err != nil {
		return fmt.Errorf("rawrtmp: write: %w", err)
	}
	return nil
}

// Read returns the next message from the server, waiting until ctx ends
// (or DefaultTimeout when ctx has no deadline). A server that closed the
// connection gives an error wrapping io.EOF or a connection reset; a
// timeout gives an error wrapping os.ErrDeadlineExceeded.
func (c *Conn) Read(ctx context.Context) (Message, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	deadline, _ := ctx.Deadline()
	if err := c.nc.SetReadDeadline(deadline); err != nil {
		return Message{}, fmt.Errorf("rawrtmp: %w", err)
	}
	var cmsg rtmp.ChunkMessage
	chunkStreamID, timestamp, err := c.streamer.Read(&cmsg)
	if err != nil {
		return Message{}, fmt.Errorf("rawrtmp: read: %w", err)
	}
	m := Message{
		ChunkStreamID: chunkStreamID,
		StreamID:      cmsg.StreamID,
		Timestamp:     timestamp,
		TypeID:        byte(cmsg.Message.TypeID()),
		Message:       cmsg.Message,
	}
	switch msg := cmsg.Message.(type) {
	case *message.SetChunkSize:
		// Later chunks from the server are cut at the new size.
		if err := c.streamer.PeerState().SetChunkSize(msg.ChunkSize); err != nil {
			return Message{}, fmt.Errorf("rawrtmp: %w", err)
		}
	case *message.CommandMessage:
		m.Name = msg.CommandName
		m.TransactionID = msg.TransactionID
		m.Args, err = decodeAMF0(msg.Body)
	case *message.DataMessage:
		m.Name = msg.Name
		m.Args, err = decodeAMF0(msg.Body)
	case *message.AudioMessage:
		m.Payload, err = io.ReadAll(msg.Payload)
	case *message.VideoMessage:
		m.Payload, err = io.ReadAll(msg.Payload)
	}
	if err != nil {
		return Message{}, fmt.Errorf("rawrtmp: decode %s: %w", m, err)
	}
	return m, nil
}

// ReadUntil reads messages until match returns true for one of them, which
// it returns along with every message read before it (match included). On
// error (closed connection, timeout) it returns what was read so far.
func (c *Conn) ReadUntil(ctx context.Context, match func(Message) bool) ([]Message, error) {
	var seen []Message
	for {
		m, err := c.Read(ctx)
		if err != nil {
			return seen, err
		}
		seen = append(seen, m)
		if match(m) {
			return seen, nil
		}
	}
}

// IsClosed reports whether err means that the peer closed the connection
// (as opposed to a timeout).
func IsClosed(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		isReset(err)
}

func withDefaultTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, DefaultTimeout)
}

func encodeAMF0(args []any) (*bytes.Buffer, error) {
	buf := new(bytes.Buffer)
	enc := amf0.NewEncoder(buf)
	for _, a := range args {
		if err := enc.Encode(a); err != nil {
			return nil, fmt.Errorf("rawrtmp: encode %T: %w", a, err)
		}
	}
	return buf, nil
}

func decodeAMF0(r io.Reader) ([]any, error) {
	dec := amf0.NewDecoder(r)
	var args []any
	for {
		var v any
		if err := dec.Decode(&v); err != nil {
			if errors.Is(err, io.EOF) {
				return args, nil
			}
			return args, err
		}
		args = append(args, v)
	}
}

// WriteRaw writes b to the socket as is, for chunk layouts the streamer
// cannot produce (for example extended timestamps in type-3 chunks). The
// streamer writes on its own goroutine: call WriteRaw only when everything
// sent before has been answered, so the two cannot interleave.
func (c *Conn) WriteRaw(b []byte) error {
	if _, err := c.nc.Write(b); err != nil {
		return fmt.Errorf("rawrtmp: write: %w", err)
	}
	return nil
}
