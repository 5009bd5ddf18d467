package rtmptest

import (
	"errors"
	"io"
	"regexp"
	"strings"

	"github.com/sirupsen/logrus"
)

// newLogrusBridge returns a logrus logger for one connection's go-rtmp
// ConnConfig. It writes nothing itself; its hook forwards entries to the
// handler's slog logger at debug level, and picks up two facts go-rtmp
// only logs: the reason it ends a connection ("Server closed by error:
// Err = ...", logged just before OnClose) and messages it ignored.
//
// Not covered: go-rtmp's client-side CreateStream logs "Changing chunkSize"
// through logrus's global logger; the server never takes that path.
func newLogrusBridge(h *handler) *logrus.Logger {
	l := logrus.New()
	l.Out = io.Discard
	l.Level = logrus.InfoLevel // go-rtmp's debug level logs every chunk
	l.AddHook(bridgeHook{h})
	return l
}

type bridgeHook struct{ h *handler }

func (bridgeHook) Levels() []logrus.Level { return logrus.AllLevels }

// go-rtmp drops command and data messages whose name it has no decoder
// for before they reach the handler, logging one of these; the bridge turns
// them into KindCommand and KindData events (without timestamp).
var unknownBodyRE = regexp.MustCompile(`^Ignored unknown message body: Err = Unknown(Command|Data)\w*Error: Name = ([^,]*),`)

func (b bridgeHook) Fire(e *logrus.Entry) error {
	const closedByError = "Server closed by error: Err = "
	msg := e.Message
	if rest, ok := strings.CutPrefix(msg, closedByError); ok {
		// %+v of a pkg/errors error: the first line is the root cause,
		// stack traces follow.
		first, _, _ := strings.Cut(rest, "\n")
		b.h.closeReason = errors.New(first)
	}
	if m := unknownBodyRE.FindStringSubmatch(msg); m != nil {
		kind := KindCommand
		if m[1] == "Data" {
			kind = KindData
		}
		b.h.add(Event{Kind: kind, Name: m[2], Key: b.h.key})
	}
	first, _, _ := strings.Cut(msg, "\n")
	b.h.logger.Debug("go-rtmp: "+redactGoRTMP(first), "logrus_level", e.Level.String())
	return nil
}
