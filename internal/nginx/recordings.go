package nginx

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Recordings returns the paths of the FLV files nginx recorded, oldest
// first: ordered by the start time nginx puts in the name
// (KEY-UNIXSECONDS.flv), then by modification time. A recording is
// complete once its publisher has disconnected or nginx has stopped.
func (n *Server) Recordings() []string {
	paths, _ := filepath.Glob(filepath.Join(n.recordDir(), "*.flv")) // the pattern is valid
	type rec struct {
		path  string
		start int64
		mod   time.Time
	}
	recs := make([]rec, 0, len(paths))
	for _, p := range paths {
		r := rec{path: p, start: startSeconds(p)}
		if fi, err := os.Stat(p); err == nil {
			r.mod = fi.ModTime()
		}
		recs = append(recs, r)
	}
	sort.SliceStable(recs, func(i, j int) bool {
		if recs[i].start != recs[j].start {
			return recs[i].start < recs[j].start
		}
		return recs[i].mod.Before(recs[j].mod)
	})
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.path
	}
	return out
}

// RecordingsOf returns the recordings of one stream key, oldest first.
func (n *Server) RecordingsOf(key string) []string {
	var out []string
	for _, p := range n.Recordings() {
		name := strings.TrimSuffix(filepath.Base(p), ".flv")
		if i := strings.LastIndexByte(name, '-'); i >= 0 && name[:i] == key {
			out = append(out, p)
		}
	}
	return out
}

// startSeconds parses the unix time nginx appends to a recording's name.
func startSeconds(path string) int64 {
	name := strings.TrimSuffix(filepath.Base(path), ".flv")
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return 0
	}
	s, err := strconv.ParseInt(name[i+1:], 10, 64)
	if err != nil {
		return 0
	}
	return s
}
