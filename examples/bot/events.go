package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// event is one chat message for the bot to show.
type event struct {
	author, text string
}

// parseMessage splits "author: text"; a line without an author is from
// "chat".
func parseMessage(line string) event {
	line = strings.TrimSpace(line)
	if author, text, ok := strings.Cut(line, ":"); ok && author != "" && !strings.ContainsAny(author, " \t") {
		return event{author: author, text: strings.TrimSpace(text)}
	}
	return event{author: "chat", text: line}
}

// scripted is an event due at a moment of the stream.
type scripted struct {
	at time.Duration // media time: after the stream started
	event
}

// readScript reads a script: one event a line, "SECONDS author: text",
// in time order. Blank lines and lines starting with # are skipped.
func readScript(path string) ([]scripted, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("-script: %w", err)
	}
	defer f.Close()
	var script []scripted
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		at, msg, _ := strings.Cut(line, " ")
		sec, err := strconv.ParseFloat(at, 64)
		if err != nil || sec < 0 || sec > 1e6 {
			return nil, fmt.Errorf("-script %s:%d: %q: want SECONDS, then the message, such as \"1.5 alice: hello\"", path, n, line)
		}
		s := scripted{at: time.Duration(sec * float64(time.Second)), event: parseMessage(msg)}
		if len(script) > 0 && s.at < script[len(script)-1].at {
			return nil, fmt.Errorf("-script %s:%d: %v comes before the line above", path, n, s.at)
		}
		script = append(script, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("-script %s: %w", path, err)
	}
	return script, nil
}

// play sends each scripted event at its time after start, until stop
// closes.
func play(script []scripted, start time.Time, out chan<- event, stop <-chan struct{}) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for _, s := range script {
		timer.Reset(time.Until(start.Add(s.at)))
		select {
		case <-timer.C:
		case <-stop:
			return
		}
		select {
		case out <- s.event:
		case <-stop:
			return
		}
	}
}

// readLines sends an event for each line of r, as it comes, until r ends
// or stop closes. A read from a terminal cannot be interrupted: a
// program leaves this goroutine blocked in it when it exits.
func readLines(r io.Reader, out chan<- event, stop <-chan struct{}) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		select {
		case out <- parseMessage(sc.Text()):
		case <-stop:
			return
		}
	}
}
