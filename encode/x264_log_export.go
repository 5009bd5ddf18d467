package encode

/*
#include <stdint.h>
*/
import "C"

import (
	"context"
	"log/slog"
	"runtime/cgo"
	"strings"

	"github.com/gen2brain/x264-go/x264c"
)

//export golivecastX264Log
func golivecastX264Log(handle C.uintptr_t, level C.int, msg *C.char) {
	logger, ok := cgo.Handle(handle).Value().(*slog.Logger)
	if !ok || logger == nil {
		return
	}
	var l slog.Level
	switch int32(level) {
	case x264c.LogError:
		l = slog.LevelError
	case x264c.LogWarning:
		l = slog.LevelWarn
	default:
		// x264's info messages are statistics and capability notes.
		l = slog.LevelDebug
	}
	ctx := context.Background()
	if !logger.Enabled(ctx, l) {
		return
	}
	logger.Log(ctx, l, "x264: "+strings.TrimSpace(C.GoString(msg)))
}
