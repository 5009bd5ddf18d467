// Package amf0 encodes and decodes the AMF0 values that RTMP commands and
// FLV script data carry (Adobe Action Message Format 0 specification,
// 2.1–2.13): the subset a publisher sends and reads. Keys keep their
// order, so the bytes are deterministic, and decoding is bounded by the
// bytes it reads, so a hostile length cannot make it allocate.
package amf0

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

const (
	amfNumber      = 0x00
	amfBoolean     = 0x01
	amfString      = 0x02
	amfObject      = 0x03
	amfNull        = 0x05
	amfUndefined   = 0x06
	amfECMAArray   = 0x08
	amfObjectEnd   = 0x09
	amfStrictArray = 0x0a
	amfDate        = 0x0b
	amfLongString  = 0x0c
)

// Prop is one key of an object or ECMA array.
type Prop struct {
	Key   string
	Value any
}

// Object is an AMF0 object with ordered keys.
type Object []Prop

// ECMAArray is an AMF0 ECMA array with ordered keys.
type ECMAArray []Prop

// Get returns the value of key, or nil.
func (o Object) Get(key string) any {
	for _, p := range o {
		if p.Key == key {
			return p.Value
		}
	}
	return nil
}

// Str returns the value of key if it is a string, or "".
func (o Object) Str(key string) string {
	s, _ := o.Get(key).(string)
	return s
}

// Append encodes values after b: float64, int, bool, string, nil, Object
// and ECMAArray. Any other type is a programming error and panics.
func Append(b []byte, values ...any) []byte {
	for _, v := range values {
		switch v := v.(type) {
		case nil:
			b = append(b, amfNull)
		case float64:
			b = append(b, amfNumber)
			b = binary.BigEndian.AppendUint64(b, math.Float64bits(v))
		case int:
			b = Append(b, float64(v))
		case bool:
			x := byte(0)
			if v {
				x = 1
			}
			b = append(b, amfBoolean, x)
		case string:
			if len(v) > 0xffff {
				b = append(b, amfLongString)
				b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
			} else {
				b = append(b, amfString)
				b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
			}
			b = append(b, v...)
		case Object:
			b = append(b, amfObject)
			b = appendProps(b, v)
		case ECMAArray:
			b = append(b, amfECMAArray)
			b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
			b = appendProps(b, Object(v))
		default:
			panic(fmt.Sprintf("amf0: no encoding for %T", v))
		}
	}
	return b
}

func appendProps(b []byte, props Object) []byte {
	for _, p := range props {
		b = binary.BigEndian.AppendUint16(b, uint16(len(p.Key)))
		b = append(b, p.Key...)
		b = Append(b, p.Value)
	}
	return append(b, 0, 0, amfObjectEnd)
}

// ErrMalformed is wrapped by every decoding error.
var ErrMalformed = errors.New("amf0: malformed")

// DecodeAll decodes every value in b. Objects become Object, ECMA arrays
// ECMAArray, strict arrays []any, numbers and dates float64, null and
// undefined nil. It returns what it decoded before an error too.
func DecodeAll(b []byte) ([]any, error) {
	var out []any
	for len(b) > 0 {
		v, rest, err := decode(b, 0)
		if err != nil {
			return out, err
		}
		out = append(out, v)
		b = rest
	}
	return out, nil
}

// maxDepth bounds the nesting of objects and arrays.
const maxDepth = 32

func decode(b []byte, depth int) (any, []byte, error) {
	if depth > maxDepth {
		return nil, nil, fmt.Errorf("%w: nested deeper than %d", ErrMalformed, maxDepth)
	}
	if len(b) == 0 {
		return nil, nil, fmt.Errorf("%w: truncated", ErrMalformed)
	}
	m, b := b[0], b[1:]
	switch m {
	case amfNumber:
		if len(b) < 8 {
			return nil, nil, fmt.Errorf("%w: truncated number", ErrMalformed)
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b)), b[8:], nil
	case amfBoolean:
		if len(b) < 1 {
			return nil, nil, fmt.Errorf("%w: truncated boolean", ErrMalformed)
		}
		return b[0] != 0, b[1:], nil
	case amfString:
		return string16(b)
	case amfLongString:
		if len(b) < 4 {
			return nil, nil, fmt.Errorf("%w: truncated long string", ErrMalformed)
		}
		n := binary.BigEndian.Uint32(b)
		if uint64(n) > uint64(len(b)-4) {
			return nil, nil, fmt.Errorf("%w: long string of %d bytes in %d", ErrMalformed, n, len(b)-4)
		}
		return string(b[4 : 4+n]), b[4+n:], nil
	case amfNull, amfUndefined:
		return nil, b, nil
	case amfObject:
		props, rest, err := decodeProps(b, depth)
		return Object(props), rest, err
	case amfECMAArray:
		if len(b) < 4 {
			return nil, nil, fmt.Errorf("%w: truncated ECMA array", ErrMalformed)
		}
		props, rest, err := decodeProps(b[4:], depth)
		return ECMAArray(props), rest, err
	case amfStrictArray:
		if len(b) < 4 {
			return nil, nil, fmt.Errorf("%w: truncated strict array", ErrMalformed)
		}
		n := binary.BigEndian.Uint32(b)
		b = b[4:]
		if uint64(n) > uint64(len(b)) { // every value takes at least a byte
			return nil, nil, fmt.Errorf("%w: strict array of %d values in %d bytes", ErrMalformed, n, len(b))
		}
		arr := make([]any, 0, n)
		for i := uint32(0); i < n; i++ {
			v, rest, err := decode(b, depth+1)
			if err != nil {
				return nil, nil, err
			}
			arr = append(arr, v)
			b = rest
		}
		return arr, b, nil
	case amfDate:
		if len(b) < 10 {
			return nil, nil, fmt.Errorf("%w: truncated date", ErrMalformed)
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b)), b[10:], nil
	default:
		return nil, nil, fmt.Errorf("%w: unsupported marker 0x%02x", ErrMalformed, m)
	}
}

func string16(b []byte) (string, []byte, error) {
	if len(b) < 2 {
		return "", nil, fmt.Errorf("%w: truncated string", ErrMalformed)
	}
	n := int(binary.BigEndian.Uint16(b))
	if n > len(b)-2 {
		return "", nil, fmt.Errorf("%w: string of %d bytes in %d", ErrMalformed, n, len(b)-2)
	}
	return string(b[2 : 2+n]), b[2+n:], nil
}

func decodeProps(b []byte, depth int) ([]Prop, []byte, error) {
	var props []Prop
	for {
		if len(b) >= 3 && b[0] == 0 && b[1] == 0 && b[2] == amfObjectEnd {
			return props, b[3:], nil
		}
		key, rest, err := string16(b)
		if err != nil {
			return nil, nil, err
		}
		v, rest, err := decode(rest, depth+1)
		if err != nil {
			return nil, nil, err
		}
		props = append(props, Prop{key, v})
		b = rest
	}
}
