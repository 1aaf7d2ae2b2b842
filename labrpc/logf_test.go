package labrpc

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type logState uint8

func (s logState) String() string { return [...]string{"alive", "suspect", "dead"}[s] }

type logPtr struct{ n int }

func (p *logPtr) String() string { return fmt.Sprint("p", p.n) }

type logNilSafe struct{}

func (p *logNilSafe) String() string {
	if p == nil {
		return "none"
	}
	return "some"
}

type logPanics struct{}

func (logPanics) String() string { panic("no") }

type logFormatter struct{}

func (logFormatter) Format(f fmt.State, verb rune) { fmt.Fprintf(f, "formatted-%c", verb) }

type logErr struct{}

func (logErr) Error() string  { return "the error" }
func (logErr) String() string { return "the stringer" }

// TestLogLineIsSprintf: a node's log line reads exactly as fmt.Sprintf
// writes it, whatever the format and the arguments (the digest hashes it).
// The fast path writes only plain verbs on plain values; this checks it
// against fmt over random formats, and over the arguments fmt treats
// specially (a nil pointer's String, safe or not, a String that panics, an error that
// is also a Stringer, a Formatter, missing and extra arguments).
func TestLogLineIsSprintf(t *testing.T) {
	var nilPtr *logPtr
	args := []any{0, -7, 42, int64(-1 << 62), int32(5), uint64(1 << 63), uint32(9), uint(3), int8(-3), uint8(200),
		"", "text", true, false, logState(1), 3 * time.Millisecond, &logPtr{n: 4}, nilPtr, (*logNilSafe)(nil), &logNilSafe{}, logPanics{},
		logFormatter{}, logErr{}, errors.New("boom"), nil, 1.5, []int{1, 2}, map[string]int{"a": 1}, struct{ A int }{7},
		[]byte("by"), 'x'}
	verbs := []string{"%d", "%v", "%s", "%t", "%q", "%x", "%5d", "%-3v", "%+v", "%#v", "%016x", "%%", "%.2f", "%"}
	var buf []byte
	for _, a := range args {
		for _, v := range verbs {
			var got string
			buf, got = logLine(buf, "t", "<"+v+">", []any{a})
			require.Equal(t, "t: "+fmt.Sprintf("<"+v+">", a), got, "format %q, arg %#v", v, a)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		format := "n"
		var used []any
		for k := rng.IntN(4); k >= 0; k-- {
			format += verbs[rng.IntN(len(verbs))] + " x "
		}
		for k := rng.IntN(5); k >= 0; k-- {
			used = append(used, args[rng.IntN(len(args))])
		}
		var got string
		buf, got = logLine(buf, "topic", format, used)
		require.Equal(t, "topic: "+fmt.Sprintf(format, used...), got, "format %q, args %#v", format, used)
	}
}

// BenchmarkLogLine is the fast path against fmt.Sprintf on SWIM's
// commonest line.
func BenchmarkLogLine(b *testing.B) {
	var buf []byte
	b.Run("logLine", func(b *testing.B) {
		for b.Loop() {
			buf, _ = logLine(buf, "member", "n%d new, %v inc %d", []any{17, logState(0), uint64(3)})
		}
	})
	b.Run("Sprintf", func(b *testing.B) {
		for b.Loop() {
			_ = "member" + ": " + fmt.Sprintf("n%d new, %v inc %d", 17, logState(0), uint64(3))
		}
	})
}
