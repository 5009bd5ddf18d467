package rtmptest

import (
	"regexp"
	"strings"
)

// redact hides a stream key in logs: keys are secrets even in tests, as the
// same code runs the demo against real services.
func redact(key string) string {
	if key == "" {
		return ""
	}
	return "****"
}

// redactURL hides what follows the application in an RTMP URL, where a
// key may sit (rtmp://host/app/key).
func redactURL(u string) string {
	rest, ok := strings.CutPrefix(u, "rtmp://")
	if !ok {
		return u
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) == 3 {
		return "rtmp://" + parts[0] + "/" + parts[1] + "/****"
	}
	return u
}

// Patterns of go-rtmp log lines that carry a stream key, logged before the
// handler learns the key: "StreamName = KEY" (releaseStream, FCPublish,
// FCUnpublish), %#v of publish and play commands, the values of ignored
// messages, and the connect command's tcUrl.
var (
	goRTMPStreamName = regexp.MustCompile(`(StreamName = )\S+`)
	goRTMPQuotedName = regexp.MustCompile(`((?:PublishingName|StreamName):)"(?:[^"\\]|\\.)*"`)
	goRTMPObjs       = regexp.MustCompile(`(Objs = ).*`)
	goRTMPTCURL      = regexp.MustCompile(`(TCURL:)"((?:[^"\\]|\\.)*)"`)
)

// redactGoRTMP hides stream keys in a go-rtmp log line.
func redactGoRTMP(msg string) string {
	msg = goRTMPStreamName.ReplaceAllString(msg, "${1}****")
	msg = goRTMPQuotedName.ReplaceAllString(msg, `${1}"****"`)
	msg = goRTMPObjs.ReplaceAllString(msg, "${1}****")
	return goRTMPTCURL.ReplaceAllStringFunc(msg, func(m string) string {
		u := goRTMPTCURL.FindStringSubmatch(m)[2]
		return `TCURL:"` + redactURL(u) + `"`
	})
}
