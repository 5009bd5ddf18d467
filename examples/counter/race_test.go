//go:build race

package main

// raceEnabled builds the demo under test with the race detector too.
const raceEnabled = true
