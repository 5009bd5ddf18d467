package rtmpsrc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// AMF0 (Adobe Action Message Format 0 specification, 2.1–2.13): the
// subset RTMP commands and onMetaData use. Keys are kept in order so the
// bytes on the wire are deterministic, and decoding is bounded by the
// message it reads from, so a hostile length cannot make it allocate.

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

// amfProp is one key of an object or ECMA array.
type amfProp struct {
	Key   string
	Value any
}

// amfObj is an AMF0 object with ordered keys.
type amfObj []amfProp

// amfArray is an AMF0 ECMA array with ordered keys.
type amfArray []amfProp

// get returns the value of key, or nil.
func (o amfObj) get(key string) any {
	for _, p := range o {
		if p.Key == key {
			return p.Value
		}
	}
	return nil
}

func (o amfObj) str(key string) string {
	s, _ := o.get(key).(string)
	return s
}

// amfAppend encodes values: float64, int, bool, string, nil, amfObj and
// amfArray.
func amfAppend(b []byte, values ...any) []byte {
	for _, v := range values {
		switch v := v.(type) {
		case nil:
			b = append(b, amfNull)
		case float64:
			b = append(b, amfNumber)
			b = binary.BigEndian.AppendUint64(b, math.Float64bits(v))
		case int:
			b = amfAppend(b, float64(v))
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
		case amfObj:
			b = append(b, amfObject)
			b = amfAppendProps(b, v)
		case amfArray:
			b = append(b, amfECMAArray)
			b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
			b = amfAppendProps(b, amfObj(v))
		default:
			panic(fmt.Sprintf("rtmpsrc: no AMF0 encoding for %T", v))
		}
	}
	return b
}

func amfAppendProps(b []byte, props amfObj) []byte {
	for _, p := range props {
		b = binary.BigEndian.AppendUint16(b, uint16(len(p.Key)))
		b = append(b, p.Key...)
		b = amfAppend(b, p.Value)
	}
	return append(b, 0, 0, amfObjectEnd)
}

var errAMF = errors.New("rtmpsrc: malformed AMF0")

// amfDecodeAll decodes every value in b. Objects become amfObj, ECMA
// arrays amfArray, strict arrays []any, numbers float64, null and
// undefined nil.
func amfDecodeAll(b []byte) ([]any, error) {
	var out []any
	for len(b) > 0 {
		v, rest, err := amfDecode(b, 0)
		if err != nil {
			return out, err
		}
		out = append(out, v)
		b = rest
	}
	return out, nil
}

const amfMaxDepth = 32

func amfDecode(b []byte, depth int) (any, []byte, error) {
	if depth > amfMaxDepth {
		return nil, nil, fmt.Errorf("%w: nested deeper than %d", errAMF, amfMaxDepth)
	}
	if len(b) == 0 {
		return nil, nil, fmt.Errorf("%w: truncated", errAMF)
	}
	m, b := b[0], b[1:]
	switch m {
	case amfNumber:
		if len(b) < 8 {
			return nil, nil, fmt.Errorf("%w: truncated number", errAMF)
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b)), b[8:], nil
	case amfBoolean:
		if len(b) < 1 {
			return nil, nil, fmt.Errorf("%w: truncated boolean", errAMF)
		}
		return b[0] != 0, b[1:], nil
	case amfString:
		return amfString16(b)
	case amfLongString:
		if len(b) < 4 {
			return nil, nil, fmt.Errorf("%w: truncated long string", errAMF)
		}
		n := binary.BigEndian.Uint32(b)
		if uint64(n) > uint64(len(b)-4) {
			return nil, nil, fmt.Errorf("%w: long string of %d bytes in %d", errAMF, n, len(b)-4)
		}
		return string(b[4 : 4+n]), b[4+n:], nil
	case amfNull, amfUndefined:
		return nil, b, nil
	case amfObject:
		props, rest, err := amfDecodeProps(b, depth)
		return amfObj(props), rest, err
	case amfECMAArray:
		if len(b) < 4 {
			return nil, nil, fmt.Errorf("%w: truncated ECMA array", errAMF)
		}
		props, rest, err := amfDecodeProps(b[4:], depth)
		return amfArray(props), rest, err
	case amfStrictArray:
		if len(b) < 4 {
			return nil, nil, fmt.Errorf("%w: truncated strict array", errAMF)
		}
		n := binary.BigEndian.Uint32(b)
		b = b[4:]
		if uint64(n) > uint64(len(b)) { // every value takes at least a byte
			return nil, nil, fmt.Errorf("%w: strict array of %d values in %d bytes", errAMF, n, len(b))
		}
		arr := make([]any, 0, n)
		for i := uint32(0); i < n; i++ {
			v, rest, err := amfDecode(b, depth+1)
			if err != nil {
				return nil, nil, err
			}
			arr = append(arr, v)
			b = rest
		}
		return arr, b, nil
	case amfDate:
		if len(b) < 10 {
			return nil, nil, fmt.Errorf("%w: truncated date", errAMF)
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b)), b[10:], nil
	default:
		return nil, nil, fmt.Errorf("%w: unsupported marker 0x%02x", errAMF, m)
	}
}

func amfString16(b []byte) (string, []byte, error) {
	if len(b) < 2 {
		return "", nil, fmt.Errorf("%w: truncated string", errAMF)
	}
	n := int(binary.BigEndian.Uint16(b))
	if n > len(b)-2 {
		return "", nil, fmt.Errorf("%w: string of %d bytes in %d", errAMF, n, len(b)-2)
	}
	return string(b[2 : 2+n]), b[2+n:], nil
}

func amfDecodeProps(b []byte, depth int) ([]amfProp, []byte, error) {
	var props []amfProp
	for {
		if len(b) >= 3 && b[0] == 0 && b[1] == 0 && b[2] == amfObjectEnd {
			return props, b[3:], nil
		}
		key, rest, err := amfString16(b)
		if err != nil {
			return nil, nil, err
		}
		v, rest, err := amfDecode(rest, depth+1)
		if err != nil {
			return nil, nil, err
		}
		props = append(props, amfProp{key, v})
		b = rest
	}
}
