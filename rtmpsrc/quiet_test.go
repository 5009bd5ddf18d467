package rtmpsrc

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/internal/amf0"
	"github.com/golivecast/golivecast/internal/rtmp"
)

// serverHandshake plays the server's side of the simple handshake. Its
// S2 is random, not the echo of C1 the specification asks for: servers
// in the field send such S2s and the publisher must accept them. S0, S1
// and S2 go out while C2 is read, so it works on an unbuffered net.Pipe.
func serverHandshake(c net.Conn) error {
	c01 := make([]byte, 1+rtmp.HandshakeSize)
	if _, err := io.ReadFull(c, c01); err != nil {
		return err
	}
	s012 := make([]byte, 1+2*rtmp.HandshakeSize)
	s012[0] = rtmp.Version
	rand.Read(s012[1:])
	if bytes.Equal(s012[1+rtmp.HandshakeSize:], c01[1:]) {
		return errors.New("S2 echoes C1 by chance")
	}
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(s012)
		werr <- err
	}()
	_, err := io.ReadFull(c, make([]byte, rtmp.HandshakeSize))
	return errors.Join(err, <-werr)
}

// TestHandshakeS2NotEchoed: a server whose S2 does not echo C1 (the
// scripted server's never does) is accepted, as librtmp and ffmpeg
// accept it.
func TestHandshakeS2NotEchoed(t *testing.T) {
	url := fakeServer(t, func(c net.Conn) {
		_, _, send := scriptedServer(t, c)
		if send == nil {
			return
		}
		send(1, "onStatus", 0, nil, amf0.Object{{Key: "level", Value: "status"}, {Key: "code", Value: "NetStream.Publish.Start"}})
		drain(c)
	})
	err, _ := runBounded(t, url, 5*time.Second, func(c *Config) {
		c.Video, c.Audio = testSources(64, 64, 10, 30, 44100, 1)
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// TestQuietStreamAnswersPings: a timestamped stream whose source sends
// nothing for a minute still answers the server's pings and acknowledges
// what it receives: control messages take their own write deadline, not
// the one of the last media write, long past. The minute is simulated
// (testing/synctest) over a net.Pipe.
func TestQuietStreamAnswersPings(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cli, srv := net.Pipe()
		defer srv.Close()
		push := capture.NewVideoPush() // never written to
		p, err := New(Config{
			URL:          "rtmp://quiet.example/live/quietkey",
			Video:        push,
			VideoEncoder: encode.H264Options{Width: 64, Height: 64, Threads: 1, Timestamped: true},
			WriteTimeout: 10 * time.Second,
			DialContext:  func(context.Context, string, string) (net.Conn, error) { return cli, nil },
		})
		if err != nil {
			t.Fatal(err)
		}
		runErr := make(chan error, 1)
		go func() { runErr <- p.Run(context.Background()) }()

		_, r, send := scriptedServer(t, srv)
		if send == nil {
			t.FailNow()
		}
		bw := bufio.NewWriter(srv)
		cw := rtmp.ChunkWriter{W: bw, Size: 128}
		var wmu sync.Mutex
		control := func(typ byte, payload []byte) {
			wmu.Lock()
			defer wmu.Unlock()
			cw.WriteMessage(rtmp.CSIDControl, typ, 0, 0, payload)
			bw.Flush()
		}
		send(1, "onStatus", 0, nil, amf0.Object{{Key: "level", Value: "status"}, {Key: "code", Value: "NetStream.Publish.Start"}})
		control(rtmp.MsgWindowAckSize, binary.BigEndian.AppendUint32(nil, 16))

		// What the client sends, read until the pipe closes.
		var (
			mu    sync.Mutex
			pongs []uint32
			acks  int
		)
		readDone := make(chan struct{})
		go func() {
			defer close(readDone)
			for {
				m, err := r.ReadMessage()
				if err != nil {
					return
				}
				mu.Lock()
				switch {
				case m.Type == rtmp.MsgSetChunkSize:
					r.SetChunkSize(m.Payload)
				case m.Type == rtmp.MsgAck:
					acks++
				case m.Type == rtmp.MsgUserControl && len(m.Payload) == 6 && binary.BigEndian.Uint16(m.Payload) == 7:
					pongs = append(pongs, binary.BigEndian.Uint32(m.Payload[2:]))
				}
				mu.Unlock()
			}
		}()

		const pings = 4
		for i := range pings {
			time.Sleep(15 * time.Second)
			control(rtmp.MsgUserControl, binary.BigEndian.AppendUint32([]byte{0, 6}, uint32(1000*(i+1))))
			synctest.Wait()
		}
		mu.Lock()
		gotPongs, gotAcks := pongs, acks
		mu.Unlock()
		select {
		case err := <-runErr:
			t.Fatalf("Run ended during the quiet minute: %v", err)
		default:
		}
		if len(gotPongs) != pings || gotPongs[pings-1] != 1000*pings {
			t.Errorf("pongs %v over a quiet minute, want %d echoing 1000…%d", gotPongs, pings, 1000*pings)
		}
		if gotAcks < pings {
			t.Errorf("%d acknowledgements with a 16-byte window, want at least %d", gotAcks, pings)
		}
		if st := p.Stats(); st.Destinations[0].Reconnects != 0 {
			t.Errorf("stats %+v", st)
		}
		p.Close()
		if err := <-runErr; !errors.Is(err, ErrClosed) {
			t.Errorf("Run after Close: %v", err)
		}
		srv.Close()
		<-readDone
	})
}
