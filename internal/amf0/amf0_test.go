package amf0

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/golivecast/golivecast/internal/testkit"
	goamf0 "github.com/yutopp/go-amf0"
)

// AMF0 byte-exact cases, read back by go-amf0 as an independent decoder
// (which gives the value in its own form, goamf0) and by ours (back).
var amfCases = []struct {
	name   string
	value  any
	bytes  string
	goamf0 any
	back   any
}{
	{"number", 1.0, "00 3ff0000000000000", 1.0, 1.0},
	{"int", 5, "00 4014000000000000", 5.0, 5.0},
	{"true", true, "01 01", true, true},
	{"string", "live", "02 0004 6c697665", "live", "live"},
	{"null", nil, "05", nil, nil},
	{"object", Object{{"app", "live"}}, "03 0003 617070 02 0004 6c697665 000009",
		map[string]any{"app": "live"}, Object{{"app", "live"}}},
	{"ecma array", ECMAArray{{"width", 1280.0}}, "08 00000001 0005 7769647468 00 4094000000000000 000009",
		goamf0.ECMAArray{"width": 1280.0}, ECMAArray{{"width", 1280.0}}},
}

func TestAMF0(t *testing.T) {
	for _, c := range amfCases {
		got := Append(nil, c.value)
		if want := testkit.Unhex(t, c.bytes); !bytes.Equal(got, want) {
			t.Errorf("%s: %x, want %x", c.name, got, want)
		}
		var v any
		if err := goamf0.NewDecoder(bytes.NewReader(got)).Decode(&v); err != nil {
			t.Errorf("%s: go-amf0 cannot read it: %v", c.name, err)
		} else if !reflect.DeepEqual(v, c.goamf0) {
			t.Errorf("%s: go-amf0 reads %#v, want %#v", c.name, v, c.goamf0)
		}
		back, err := DecodeAll(got)
		if err != nil || len(back) != 1 || !reflect.DeepEqual(back[0], c.back) {
			t.Errorf("%s: decoded %#v (%v), want %#v", c.name, back, err, c.back)
		}
	}
}

func FuzzAMF0Decode(f *testing.F) {
	for _, c := range amfCases {
		f.Add(Append(nil, c.value))
	}
	f.Add(Append(nil, "_result", 1, nil, Object{{"level", "status"}, {"code", "NetConnection.Connect.Success"}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = DecodeAll(b) // must not panic or hang
	})
}
