package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Output helpers the subcommands share: colour and progress only on a
// terminal, and JSON for programs.

// isTerminal reports whether w is a terminal: colour and progress bars go
// only there, never into a file, a pipe or a test's buffer.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// colours says whether to colour what goes to w: a terminal, unless
// NO_COLOR is set (no-color.org) or TERM is dumb.
func colours(w io.Writer) bool {
	return isTerminal(w) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
}

// paint wraps s in an ANSI colour when on is true.
func paint(on bool, colour, s string) string {
	if !on {
		return s
	}
	codes := map[string]string{"red": "31", "green": "32", "yellow": "33", "bold": "1", "dim": "2"}
	return "\x1b[" + codes[colour] + "m" + s + "\x1b[0m"
}

// writeJSON writes v as indented JSON, the form every --json takes.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// ms is a duration in milliseconds, for JSON.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// A progress bar on a terminal: one line, redrawn in place at most ten
// times a second. On anything else it writes nothing.
type progress struct {
	w     io.Writer // nil when not a terminal
	total int
	start time.Time

	mu     sync.Mutex
	done   int
	failed int
	last   time.Time
}

func newProgress(w io.Writer, total int) *progress {
	p := &progress{total: total, start: time.Now()}
	if isTerminal(w) {
		p.w = w
	}
	return p
}

// add counts one finished run.
func (p *progress) add(failed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if failed {
		p.failed++
	}
	if p.w == nil || (time.Since(p.last) < 100*time.Millisecond && p.done < p.total) {
		return
	}
	p.last = time.Now()
	const width = 30
	filled := width * p.done / max(p.total, 1)
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
	elapsed := time.Since(p.start)
	rate := float64(p.done) / elapsed.Seconds()
	eta := ""
	if rate > 0 && p.done < p.total {
		eta = fmt.Sprintf(", %v left", (time.Duration(float64(p.total-p.done)/rate) * time.Second).Round(time.Second))
	}
	fails := fmt.Sprintf("%d failed", p.failed)
	if p.failed > 0 {
		fails = paint(colours(p.w), "red", fails)
	}
	fmt.Fprintf(p.w, "\r[%s] %d/%d runs, %s, %.1f runs/s%s\x1b[K", bar, p.done, p.total, fails, rate, eta)
}

// finish clears the bar's line.
func (p *progress) finish() {
	if p.w != nil {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
