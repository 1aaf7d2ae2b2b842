package labrpc

import (
	"fmt"
	"strconv"
)

// logLine is a node's log line as env.Logf records it: "topic: " and the
// formatted text, exactly as fmt.Sprintf would write it (the digest hashes
// it). Log lines are among the commonest events of a large world, and most
// formats use only %d, %s, %v and %t on plain values: those are written
// here directly, and anything else (a flag, a width, another verb, a value
// fmt treats specially) goes to fmt.Sprintf.
func logLine(buf []byte, topic, format string, args []any) ([]byte, string) {
	buf = append(append(buf[:0], topic...), ": "...)
	start := len(buf)
	if out, ok := appendPlain(buf, format, args); ok {
		return out, string(out)
	}
	buf = fmt.Appendf(buf[:start], format, args...)
	return buf, string(buf)
}

// appendPlain appends format with args to buf if every verb is one it
// writes as fmt does, and reports whether it did.
func appendPlain(buf []byte, format string, args []any) ([]byte, bool) {
	next := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			buf = append(buf, c)
			continue
		}
		if i+1 >= len(format) {
			return buf, false
		}
		i++
		verb := format[i]
		if verb == '%' {
			buf = append(buf, '%')
			continue
		}
		if next >= len(args) {
			return buf, false // fmt writes %!d(MISSING)
		}
		var ok bool
		buf, ok = appendArg(buf, verb, args[next])
		if !ok {
			return buf, false
		}
		next++
	}
	return buf, next == len(args) // extra arguments: fmt writes %!(EXTRA ...)
}

// appendArg writes one argument for a verb with no flags, as fmt does, or
// reports that it cannot.
func appendArg(buf []byte, verb byte, arg any) ([]byte, bool) {
	switch verb {
	case 'd', 'v':
		switch x := arg.(type) {
		case int:
			return strconv.AppendInt(buf, int64(x), 10), true
		case int64:
			return strconv.AppendInt(buf, x, 10), true
		case int32:
			return strconv.AppendInt(buf, int64(x), 10), true
		case uint64:
			return strconv.AppendUint(buf, x, 10), true
		case uint32:
			return strconv.AppendUint(buf, uint64(x), 10), true
		case uint:
			return strconv.AppendUint(buf, uint64(x), 10), true
		}
		if verb == 'd' {
			return buf, false
		}
	case 's', 't':
	default:
		return buf, false
	}
	switch x := arg.(type) {
	case string:
		if verb == 't' {
			return buf, false
		}
		return append(buf, x...), true
	case bool:
		if verb == 's' {
			return buf, false
		}
		return strconv.AppendBool(buf, x), true
	case error, fmt.Formatter:
		return buf, false
	case fmt.Stringer:
		if verb == 't' {
			return buf, false
		}
		return appendString(buf, x)
	}
	return buf, false
}

// appendString appends s.String(); a String that panics is left to fmt,
// which writes the panic into the line (or <nil>, for a nil pointer).
func appendString(buf []byte, s fmt.Stringer) (out []byte, ok bool) {
	defer func() {
		if recover() != nil {
			out, ok = buf, false
		}
	}()
	return append(buf, s.String()...), true
}
