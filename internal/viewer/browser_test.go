package viewer

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The viewer in a real browser: Debian's chromium, headless. The tests install
// it when it is missing (as root, with apt-get) and skip, saying why, when that
// is impossible. The screenshots are artifacts: go test -artifacts -outputdir
// DIR keeps them under DIR (see go doc testing.T.ArtifactDir); the test logs
// their paths.

// chromium returns the path of a chromium binary, installing Debian's package
// if there is none.
func chromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("renders the viewer in headless chromium; skipped in -short mode")
	}
	find := func() string {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
			if p, err := exec.LookPath(name); err == nil {
				return p
			}
		}
		return ""
	}
	if p := find(); p != "" {
		return p
	}
	if _, err := exec.LookPath("apt-get"); err != nil || os.Geteuid() != 0 {
		t.Skip("no chromium, and no way to install it here (needs root and apt-get): run apt-get install -y chromium")
	}
	t.Log("chromium is missing; installing Debian's package (apt-get install -y chromium)")
	install := func(args ...string) ([]byte, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		return cmd.CombinedOutput()
	}
	if out, err := install("install", "-y", "-qq", "chromium"); err != nil {
		t.Logf("apt-get install failed (%v); updating the package lists first:\n%s", err, tail(out))
		if out, err := install("update", "-qq"); err != nil {
			t.Skipf("cannot install chromium: apt-get update: %v\n%s", err, tail(out))
		}
		if out, err := install("install", "-y", "-qq", "chromium"); err != nil {
			t.Skipf("cannot install chromium: apt-get install -y chromium: %v\n%s", err, tail(out))
		}
	}
	p := find()
	if p == "" {
		t.Skip("apt-get installed chromium, but no chromium command is on the PATH")
	}
	return p
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// headless runs chromium on a page with the flags that keep it off the
// network, and returns what it printed and how long it took.
func headless(t *testing.T, bin, url string, args ...string) ([]byte, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	all := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--user-data-dir=" + t.TempDir()}, args...)
	cmd := exec.CommandContext(ctx, bin, append(all, url)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	require.NoError(t, err, "chromium %v:\n%s", args, tail(stderr.Bytes()))
	return stdout.Bytes(), elapsed
}

var bodyAttr = regexp.MustCompile(`data-([a-z0-9-]+)="([^"]*)"`)

// pageStats reads the figures the page's script leaves on its body element.
func pageStats(t *testing.T, dom []byte) map[string]float64 {
	t.Helper()
	body := regexp.MustCompile(`<body[^>]*>`).Find(dom)
	require.NotNil(t, body, "no body in the DOM chromium dumped")
	stats := map[string]float64{}
	for _, m := range bodyAttr.FindAllSubmatch(body, -1) {
		v, err := strconv.ParseFloat(string(m[2]), 64)
		if err == nil {
			stats[string(m[1])] = v
		}
	}
	require.Equal(t, 1.0, stats["ready"], "the page's script did not finish: %s", body)
	return stats
}

// writePage writes the scenario with at least events events as a page.
func writePage(t *testing.T, dir string, events int) (path string, lines int) {
	t.Helper()
	trace := scenario(events)
	path = filepath.Join(dir, fmt.Sprintf("viewer-%d.html", len(trace)))
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, Write(f, Input{Title: "the viewer's test scenario", Nodes: 5, Lines: trace, Digest: "0123456789abcdef", Focus: -1}))
	require.NoError(t, f.Close())
	return path, len(trace)
}

func TestBrowserDrawsLanesAndArrows(t *testing.T) {
	bin := chromium(t)
	dir := t.ArtifactDir()
	page, _ := writePage(t, dir, 0)
	dom, _ := headless(t, bin, "file://"+page, "--window-size=1400,700", "--dump-dom")
	stats := pageStats(t, dom)
	require.Equal(t, 5.0, stats["lanes"], "one lane per node")
	require.Greater(t, stats["messages"], 100.0)
	require.Greater(t, stats["lost"], 0.0)
	require.Greater(t, stats["drawn-arrows"], 100.0, "the arrows are drawn")
	require.Greater(t, stats["drawn-events"], 100.0, "the events are drawn")

	png := filepath.Join(dir, "viewer.png")
	headless(t, bin, "file://"+page, "--window-size=1400,700", "--hide-scrollbars", "--screenshot="+png)
	info, err := os.Stat(png)
	require.NoError(t, err, "chromium wrote no screenshot")
	require.Greater(t, info.Size(), int64(20_000), "the screenshot is nearly empty")
	t.Logf("screenshot: %s (page: %s)", png, page)
}

// TestBrowserLargeTrace measures the viewer on a run of 100,000 events: how
// long the page takes to load and draw, and how long a frame takes while
// zooming and scrolling (the page's #bench mode).
func TestBrowserLargeTrace(t *testing.T) {
	bin := chromium(t)
	dir := t.ArtifactDir()
	page, lines := writePage(t, dir, 100_000)
	info, err := os.Stat(page)
	require.NoError(t, err)
	dom, elapsed := headless(t, bin, "file://"+page+"#bench", "--window-size=1400,700", "--dump-dom")
	stats := pageStats(t, dom)
	t.Logf("%d trace lines, %d events drawn, %d messages; page %.1f MB", lines, int(stats["events"]), int(stats["messages"]), float64(info.Size())/1e6)
	t.Logf("headless chromium: %v from start to exit; page ready %.0f ms after it was opened (script: %.0f ms, first frame %.0f ms)",
		elapsed.Round(time.Millisecond), stats["load-ms"], stats["script-ms"], stats["first-frame-ms"])
	t.Logf("zooming and scrolling: %d frames, median %.1f ms, slowest %.1f ms", int(stats["bench-frames"]), stats["bench-median-ms"], stats["bench-max-ms"])
	require.GreaterOrEqual(t, stats["events"], 100_000.0)
	// Loose bounds, for a shared two-core machine: the page must load in
	// seconds and redraw in well under a second.
	require.Less(t, stats["load-ms"], 15_000.0, "the page takes too long to load")
	require.Less(t, stats["bench-median-ms"], 250.0, "a frame takes too long to draw")

	png := filepath.Join(dir, "viewer-100k.png")
	headless(t, bin, "file://"+page, "--window-size=1400,700", "--hide-scrollbars", "--screenshot="+png)
	t.Logf("screenshot: %s", png)
}
