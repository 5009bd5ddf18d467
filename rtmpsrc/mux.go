package rtmpsrc

import (
	"context"
	"time"

	"github.com/golivecast/golivecast/encode"
)

// track is one encoded track on its way to the muxer.
type track struct {
	typ    byte // flvTagVideo or flvTagAudio
	ch     chan packet
	config []byte        // decoder configuration, for the sequence header
	offset time.Duration // added to every timestamp, to align the tracks
}

// packet is one encoded frame. Its body is the FLV tag body with the
// header bytes (5 for video, 2 for audio) left for the muxer to fill, so
// the encoder's output is copied once.
type packet struct {
	pts, dts        time.Duration
	key, disposable bool
	body            *buffer
}

// tagHeaderSize is the room left in a packet body for the FLV audio or
// video tag header.
func tagHeaderSize(typ byte) int {
	if typ == flvTagVideo {
		return 5
	}
	return 2
}

// send hands encoded packets to the muxer, copying what the encoder will
// reuse into bodies of their own.
func (t *track) send(ctx context.Context, pkts []encode.Packet) error {
	hdr := tagHeaderSize(t.typ)
	for _, e := range pkts {
		body := newBuffer(hdr + len(e.Data))
		copy(body.b[hdr:], e.Data)
		pk := packet{pts: e.PTS, dts: e.DTS, key: e.Keyframe, disposable: e.Disposable, body: body}
		select {
		case t.ch <- pk:
		case <-ctx.Done():
			body.release()
			return ctx.Err()
		}
	}
	return nil
}

// muxer writes the metadata and sequence headers, then the packets of
// every track in non-decreasing DTS order, paced by the clock for live
// sinks. It is the only writer to the sink.
type muxer struct {
	pace   *pacer
	tracks []*track
	out    sink
	meta   metadata
	start  time.Duration // media time of the headers
	stats  *pipelineStats
	heads  []packet
	have   []bool
}

func (m *muxer) run(ctx context.Context) error {
	defer m.discard()
	if err := m.writeHeaders(); err != nil {
		return err
	}
	m.heads, m.have = make([]packet, len(m.tracks)), make([]bool, len(m.tracks))
	for {
		next, err := m.earliest(ctx)
		if err != nil || next < 0 {
			return err // nil once every track has ended
		}
		pk := m.heads[next]
		m.heads[next], m.have[next] = packet{}, false
		if err := m.pace.wait(ctx, pk.dts-m.start); err != nil {
			pk.body.release()
			return err
		}
		if err := m.write(m.tracks[next].typ, pk); err != nil {
			return err
		}
	}
}

func (m *muxer) writeHeaders() error {
	script := m.meta.setDataFrame()
	hdrs := []tag{{typ: flvTagScript, body: bodyOf(script)}}
	for _, t := range m.tracks {
		var b []byte
		if t.typ == flvTagVideo {
			b = appendVideoTag(nil, true, 0, 0, t.config)
		} else {
			b = appendAudioTag(nil, true, t.config)
		}
		hdrs = append(hdrs, tag{typ: t.typ, body: bodyOf(b)})
	}
	for i, h := range hdrs {
		h.header, h.key, h.dts = true, true, m.start
		if err := m.out.writeTag(h); err != nil {
			for _, rest := range hdrs[i+1:] {
				rest.body.release()
			}
			return err
		}
	}
	return nil
}

// bodyOf puts b in a tag body.
func bodyOf(b []byte) *buffer {
	body := newBuffer(len(b))
	copy(body.b, b)
	return body
}

// earliest waits until every open track shows its next packet, and
// returns the index of the one with the smallest DTS, or -1 once every
// track has ended.
func (m *muxer) earliest(ctx context.Context) (int, error) {
	for i, t := range m.tracks {
		for !m.have[i] && t.ch != nil {
			select {
			case pk, ok := <-t.ch:
				if !ok {
					t.ch = nil
					continue
				}
				pk.pts += t.offset
				pk.dts += t.offset
				m.heads[i], m.have[i] = pk, true
			case <-ctx.Done():
				return -1, ctx.Err()
			}
		}
	}
	next := -1
	for i := range m.heads {
		if m.have[i] && (next < 0 || m.heads[i].dts < m.heads[next].dts) {
			next = i
		}
	}
	return next, nil
}

// write fills in the tag header of a packet and hands it to the sink.
func (m *muxer) write(typ byte, pk packet) error {
	t := tag{typ: typ, dts: pk.dts, key: pk.key, disposable: pk.disposable, body: pk.body}
	if typ == flvTagVideo {
		appendVideoTag(pk.body.b[:0], pk.key, 1, int32(millis(pk.pts))-int32(t.ts()), nil)
	} else {
		appendAudioTag(pk.body.b[:0], false, nil)
	}
	n := len(pk.body.b)
	if err := m.out.writeTag(t); err != nil {
		return err
	}
	s := m.stats
	s.bytesMuxed.Add(int64(n))
	s.mediaTime.Store(int64(pk.dts))
	if typ == flvTagVideo {
		s.videoMuxed.Add(1)
		if pk.key {
			s.idr.Add(1)
		}
	} else {
		s.audioMuxed.Add(1)
	}
	return nil
}

// discard releases the packets the muxer holds when it stops early. What
// the encoders left in the channels is left to the garbage collector.
func (m *muxer) discard() {
	for i := range m.heads {
		if m.have[i] {
			m.heads[i].body.release()
			m.have[i] = false
		}
	}
}
