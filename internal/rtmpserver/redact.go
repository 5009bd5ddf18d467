package rtmpserver

import "strings"

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
