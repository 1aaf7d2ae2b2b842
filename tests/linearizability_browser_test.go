package tests

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"
)

// porcupine's failure page in a real browser, with values a hostile client
// wrote: no value may become an element or a script of the page. The page
// shows a state's description as HTML in the tooltip of the operation under
// the mouse, so the test moves the mouse over every operation (a probe
// script added to a copy of the page), then reads the DOM that headless
// chromium dumps.

// hostileKV is a string register per key with no DescribeState, as kvsrv's
// model had when a Put value ran as a script: porcupine then prints states
// with %v, and its page inserts them as HTML.
var hostileKV = porcupine.Model{
	Partition: func(ops []porcupine.Operation) [][]porcupine.Operation { return [][]porcupine.Operation{ops} },
	Init:      func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		in := input.([2]string) // {"put", v} or {"get", ""}
		if in[0] == "put" {
			return true, in[1]
		}
		return output == nil || output.(string) == state.(string), state
	},
	DescribeOperation: func(input, output any) string {
		in := input.([2]string)
		if in[0] == "put" {
			return "put(" + in[1] + ")"
		}
		return fmt.Sprintf("get() → %v", output)
	},
}

const (
	hostileImg    = `<img src=x onerror="document.body.dataset.pwned=1">`
	hostileScript = `<script>document.body.dataset.pwned=2</script>`
)

// probe moves the mouse over every operation of porcupine's page and leaves
// on the body what it saw: how many operations it hovered, how many img,
// script, iframe or svg-in-tooltip elements the tooltips held, and the text
// they showed.
const probe = `<script>
(() => {
  const d = document.body.dataset
  let text = '', injected = 0, hovered = 0
  for (const el of document.querySelectorAll('.target-rect')) {
    el.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}))
    el.dispatchEvent(new MouseEvent('mousemove', {bubbles: true, clientX: 20, clientY: 20}))
    const tip = document.querySelector('.tooltip')
    injected += tip.querySelectorAll('img, script, iframe, svg, object, embed, [onerror], [onload]').length
    text += tip.textContent + '\n'
    el.dispatchEvent(new MouseEvent('mouseout', {bubbles: true}))
    hovered++
  }
  const pre = document.createElement('pre')
  pre.id = 'probe-text'
  pre.textContent = text
  document.body.appendChild(pre)
  d.hovered = hovered
  d.injected = injected
  d.images = document.querySelectorAll('img').length
  d.scripts = document.querySelectorAll('script').length
  d.probed = 1
})()
</script>
`

func TestLinearizabilityPageShowsHostileValuesAsText(t *testing.T) {
	bin := findChromium(t)
	// A put of each hostile value, then a read of a value never written:
	// not linearizable, so the page is written; the states after the puts
	// hold the hostile values.
	ops := []porcupine.Operation{
		{ClientId: 0, Input: [2]string{"put", hostileImg}, Call: 0, Return: 10},
		{ClientId: 1, Input: [2]string{"put", hostileScript}, Call: 20, Return: 30},
		{ClientId: 0, Input: [2]string{"get", ""}, Call: 40, Output: "never written", Return: 50},
	}
	err := Linearizable(hostileKV, ops, time.Second)
	require.ErrorContains(t, err, "not linearizable")
	m := regexp.MustCompile(`porcupine's visualisation: (\S+\.html)`).FindStringSubmatch(err.Error())
	require.NotNil(t, m, "the error names no page: %v", err)
	page, err := os.ReadFile(m[1])
	require.NoError(t, err)
	defer os.RemoveAll(filepath.Dir(m[1]))

	probed := filepath.Join(t.TempDir(), "probed.html")
	i := bytes.LastIndex(page, []byte("</body>"))
	require.GreaterOrEqual(t, i, 0, "porcupine's page has no </body>")
	require.NoError(t, os.WriteFile(probed, append(append(append([]byte(nil), page[:i]...), probe...), page[i:]...), 0o644))

	dom := dumpDOM(t, bin, "file://"+probed)
	body := regexp.MustCompile(`<body[^>]*>`).Find(dom)
	require.NotNil(t, body, "no body in the DOM chromium dumped")
	attr := func(name string) string {
		m := regexp.MustCompile(`data-` + name + `="([^"]*)"`).FindSubmatch(body)
		if m == nil {
			return ""
		}
		return string(m[1])
	}
	require.Equal(t, "1", attr("probed"), "the probe did not run: %s", body)
	require.Equal(t, "3", attr("hovered"), "the probe hovers every operation")
	require.Empty(t, attr("pwned"), "a hostile value ran as a script in the page")
	require.Equal(t, "0", attr("injected"), "a hostile value became an element of a tooltip")
	require.Equal(t, "0", attr("images"), "a hostile value became an element of the page")
	require.Equal(t, "2", attr("scripts"), "the page has porcupine's script and the probe's, and no other")

	// The values are shown, as text: the states in the tooltips, and the
	// operations in their boxes.
	text := regexp.MustCompile(`(?s)<pre id="probe-text">(.*?)</pre>`).FindSubmatch(dom)
	require.NotNil(t, text, "the probe left no text")
	shown := htmlUnescape(string(text[1]))
	require.Contains(t, shown, hostileImg, "the tooltip shows the state as the text the client wrote")
	require.Contains(t, shown, hostileScript)
	require.Contains(t, htmlUnescape(string(dom)), "put("+hostileImg+")", "the operation's box shows its value as text")
}

// htmlUnescape undoes the escaping of a DOM dump's text.
func htmlUnescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#34;", `"`, "&#39;", "'", "&amp;", "&").Replace(s)
}

// findChromium returns the path of a chromium binary, or skips the test,
// saying how to get one. (.ci/run installs Debian's chromium.)
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("renders porcupine's page in headless chromium, and there is none here: apt-get install -y chromium (.ci/run does)")
	return ""
}

// dumpDOM loads url in headless chromium, kept off the network, lets its
// scripts run (and any image fail to load) for up to five seconds of the
// page's time, and returns the DOM.
func dumpDOM(t *testing.T, bin, url string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=5000", "--dump-dom", url)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "chromium: %s", stderr.String())
	return stdout.Bytes()
}
