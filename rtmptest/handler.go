package rtmptest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/yutopp/go-flv/tag"
	rtmp "github.com/yutopp/go-rtmp"
	"github.com/yutopp/go-rtmp/message"
)

// errSecondPublish refuses a publish on a connection already publishing:
// go-rtmp gives OnAudio and OnVideo no stream id to tell two apart.
var errSecondPublish = errors.New("rtmptest: a publish is already active on this connection")

// errUnknownApp refuses a connect to an application not in Config.Apps.
var errUnknownApp = errors.New("rtmptest: unknown application")

// handler receives one connection's messages from go-rtmp. go-rtmp calls
// every method on that connection's goroutine, so its fields need no lock.
type handler struct {
	rtmp.DefaultHandler

	srv    *Server
	conn   *trackedConn
	id     int
	logger *slog.Logger

	app        string
	key        string
	publishing bool
	streamID   uint32
	rec        *recording

	// closeReason is the error go-rtmp logged when ending the connection;
	// it logs it just before calling OnClose.
	closeReason error
}

var _ rtmp.Handler = (*handler)(nil)

func (h *handler) add(e Event) {
	e.Conn = h.id
	if e.Arrived.IsZero() {
		e.Arrived = time.Now()
	}
	if e.App == "" {
		e.App = h.app
	}
	h.srv.events.add(e)
}

func (h *handler) OnServe(conn *rtmp.Conn) {
	h.conn.streamer = conn.GetChunkStreamer()
}

func (h *handler) OnConnect(ts uint32, cmd *message.NetConnectionConnect) error {
	if apps := h.srv.cfg.Apps; apps != nil && !slices.Contains(apps, cmd.Command.App) {
		h.logger.Info("rtmptest: connect to an unknown application refused", "app", cmd.Command.App)
		h.add(Event{Kind: KindConnect, Timestamp: ts, App: cmd.Command.App, Err: fmt.Errorf("%w: %q", errUnknownApp, cmd.Command.App)})
		return fmt.Errorf("%w: %q", errUnknownApp, cmd.Command.App)
	}
	h.app = cmd.Command.App
	h.logger.Info("rtmptest: connect", "app", h.app, "tcUrl", redactURL(cmd.Command.TCURL))
	h.add(Event{Kind: KindConnect, Timestamp: ts, Connect: &ConnectInfo{
		App:      cmd.Command.App,
		TCURL:    cmd.Command.TCURL,
		FlashVer: cmd.Command.FlashVer,
		Type:     cmd.Command.Type,
	}})
	return nil
}

func (h *handler) OnCreateStream(ts uint32, _ *message.NetConnectionCreateStream) error {
	h.add(Event{Kind: KindCreateStream, Timestamp: ts})
	return nil
}

func (h *handler) OnReleaseStream(ts uint32, cmd *message.NetConnectionReleaseStream) error {
	h.add(Event{Kind: KindReleaseStream, Timestamp: ts, Key: cmd.StreamName})
	return nil
}

func (h *handler) OnFCPublish(ts uint32, cmd *message.NetStreamFCPublish) error {
	h.add(Event{Kind: KindFCPublish, Timestamp: ts, Key: cmd.StreamName})
	return nil
}

func (h *handler) OnFCUnpublish(ts uint32, cmd *message.NetStreamFCUnpublish) error {
	h.add(Event{Kind: KindFCUnpublish, Timestamp: ts, Key: cmd.StreamName})
	return nil
}

func (h *handler) OnPublish(ctx *rtmp.StreamContext, ts uint32, cmd *message.NetStreamPublish) error {
	key := cmd.PublishingName
	e := Event{Kind: KindPublish, Timestamp: ts, Key: key, StreamID: ctx.StreamID, PublishType: cmd.PublishingType}
	err := h.acceptPublish(key)
	if err != nil {
		// go-rtmp answers onStatus NetStream.Publish.Failed and closes.
		h.logger.Info("rtmptest: publish refused", "app", h.app, "key", redact(key), "err", err)
		e.Err = err
		h.add(e)
		return err
	}
	h.key, h.publishing, h.streamID = key, true, ctx.StreamID
	h.logger.Info("rtmptest: publish", "app", h.app, "key", redact(key))
	h.add(e)
	return nil
}

func (h *handler) acceptPublish(key string) error {
	if h.publishing {
		return errSecondPublish
	}
	if h.srv.cfg.Authorize != nil {
		if err := h.srv.cfg.Authorize(h.app, key); err != nil {
			return err
		}
	}
	if h.srv.cfg.Record != nil {
		w, err := h.srv.cfg.Record(h.app, key)
		if err != nil {
			return fmt.Errorf("rtmptest: record: %w", err)
		}
		rec, err := newRecording(w)
		if err != nil {
			return err
		}
		h.rec = rec
	}
	return nil
}

func (h *handler) OnSetDataFrame(ts uint32, data *message.NetStreamSetDataFrame) error {
	e := Event{Kind: KindSetDataFrame, Timestamp: ts, Key: h.key}
	var script tag.ScriptData
	if err := tag.DecodeScriptData(bytes.NewReader(data.Payload), &script); err != nil {
		e.Err = fmt.Errorf("rtmptest: decode script data: %w", err)
		h.add(e)
		return nil // a test sees Err; the stream goes on, as with a real server
	}
	for name, obj := range script.Objects {
		e.Name, e.Metadata = name, obj
	}
	h.add(e)
	h.record(&tag.FlvTag{TagType: tag.TagTypeScriptData, Timestamp: ts, Data: &script})
	return nil
}

func (h *handler) OnAudio(ts uint32, payload io.Reader) error {
	body, err := io.ReadAll(payload)
	if err != nil {
		return err
	}
	e := Event{Kind: KindAudio, Timestamp: ts, Key: h.key}
	var a tag.AudioData
	r := bytes.NewReader(body)
	if err := tag.DecodeAudioData(r, &a); err != nil {
		e.Err = fmt.Errorf("rtmptest: decode audio header: %w", err)
		h.add(h.withBody(e, body, r))
		return nil
	}
	e.Audio = &AudioHeader{
		SoundFormat: uint8(a.SoundFormat), SoundRate: uint8(a.SoundRate), SoundSize: uint8(a.SoundSize),
		SoundType: uint8(a.SoundType), AACPacketType: uint8(a.AACPacketType),
	}
	e = h.withBody(e, body, r)
	h.add(e)
	a.Data = bytes.NewReader(body[len(body)-r.Len():])
	h.record(&tag.FlvTag{TagType: tag.TagTypeAudio, Timestamp: ts, Data: &a})
	return nil
}

func (h *handler) OnVideo(ts uint32, payload io.Reader) error {
	body, err := io.ReadAll(payload)
	if err != nil {
		return err
	}
	e := Event{Kind: KindVideo, Timestamp: ts, Key: h.key}
	var v tag.VideoData
	r := bytes.NewReader(body)
	if err := tag.DecodeVideoData(r, &v); err != nil {
		e.Err = fmt.Errorf("rtmptest: decode video header: %w", err)
		h.add(h.withBody(e, body, r))
		return nil
	}
	e.Video = &VideoHeader{
		FrameType: uint8(v.FrameType), CodecID: uint8(v.CodecID),
		AVCPacketType: uint8(v.AVCPacketType), CompositionTime: v.CompositionTime,
	}
	e = h.withBody(e, body, r)
	h.add(e)
	v.Data = bytes.NewReader(body[len(body)-r.Len():])
	h.record(&tag.FlvTag{TagType: tag.TagTypeVideo, Timestamp: ts, Data: &v})
	return nil
}

// withBody sets Body and Payload (what r, the header decoder, left unread).
func (h *handler) withBody(e Event, body []byte, r *bytes.Reader) Event {
	if h.srv.cfg.DropPayloads {
		return e
	}
	e.Body = body
	e.Payload = body[len(body)-r.Len():]
	return e
}

func (h *handler) OnDeleteStream(ts uint32, cmd *message.NetStreamDeleteStream) error {
	h.add(Event{Kind: KindDeleteStream, Timestamp: ts, Key: h.key, StreamID: cmd.StreamID})
	if h.publishing && cmd.StreamID == h.streamID {
		h.endPublish()
	}
	return nil
}

func (h *handler) OnUnknownMessage(ts uint32, msg message.Message) error {
	h.add(Event{Kind: KindMessage, Timestamp: ts, Name: fmt.Sprintf("type %d", msg.TypeID())})
	// Drain a media payload, or go-rtmp's reader would be left mid-message.
	switch m := msg.(type) {
	case *message.AudioMessage:
		_, _ = io.Copy(io.Discard, m.Payload)
	case *message.VideoMessage:
		_, _ = io.Copy(io.Discard, m.Payload)
	}
	return nil
}

func (h *handler) OnUnknownCommandMessage(ts uint32, cmd *message.CommandMessage) error {
	h.add(Event{Kind: KindCommand, Timestamp: ts, Name: cmd.CommandName})
	return nil
}

func (h *handler) OnUnknownDataMessage(ts uint32, data *message.DataMessage) error {
	h.add(Event{Kind: KindData, Timestamp: ts, Name: data.Name})
	return nil
}

func (h *handler) OnClose() {
	h.endPublish()
	h.logger.Info("rtmptest: connection closed", "reason", h.closeReason)
	h.add(Event{Kind: KindClose, Key: h.key, Err: h.closeReason})
}

func (h *handler) endPublish() {
	h.publishing = false
	if h.rec != nil {
		if err := h.rec.close(); err != nil {
			h.logger.Warn("rtmptest: recording", "err", err)
		}
		h.rec = nil
	}
}

func (h *handler) record(t *tag.FlvTag) {
	if h.rec == nil {
		return
	}
	if err := h.rec.write(t); err != nil {
		// Stop recording but keep serving: the publisher is not at fault.
		h.logger.Warn("rtmptest: recording stopped", "err", err)
		_ = h.rec.close()
		h.rec = nil
	}
}
