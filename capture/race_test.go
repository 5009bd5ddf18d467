//go:build race

package capture

// raceEnabled skips allocation counts, which the race detector inflates.
const raceEnabled = true
