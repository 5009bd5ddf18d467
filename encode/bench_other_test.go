//go:build !unix

package encode

import "time"

// cpuTime is not measured here.
func cpuTime() time.Duration { return 0 }
