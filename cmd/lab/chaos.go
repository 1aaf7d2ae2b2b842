package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// lab chaos: tell a running lab cluster's network and processes what to do.

func newChaosFlags() (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	cluster := fs.String("cluster", "", "the cluster `FILE` (or its directory) that lab cluster wrote")
	return fs, cluster
}

func helpChaos(w io.Writer) {
	fmt.Fprint(w, `usage: lab chaos --cluster FILE COMMAND [ARGS]

Chaos tells a running 'lab cluster' to break its network or its processes,
as the simulator's nemesis does to a simulated one. Commands:

	partition 0,1 2   nodes in different groups cannot reach each other
	                  (a node in no group is cut off; clients reach all)
	heal              end the partition
	drop P            lose each message with probability P (0.1)
	dup P             deliver each message twice with probability P
	delay D [J]       hold each message D, plus up to J more (20ms 10ms)
	reliable          no loss, duplication or delay (a partition stays)
	kill I            SIGKILL node I's process (its files stay)
	restart I         start node I again, from its files
	status            where each node is, and the network's rules

For example: lab chaos --cluster /tmp/lab-cluster-1/cluster.json partition 0 1,2

Flags:
`)
	fs, _ := newChaosFlags()
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func runChaos(c *cli, args []string) int {
	fs, cluster := newChaosFlags()
	pos, rest, code, ok := c.parseFlags("chaos", fs, args)
	if !ok {
		return code
	}
	pos = append(pos, rest...)
	if *cluster == "" || len(pos) == 0 {
		return c.usageError("chaos", "give --cluster FILE and a command, like 'lab chaos --cluster DIR/cluster.json partition 0 1,2'")
	}
	cf, err := readClusterFile(*cluster)
	if err != nil {
		return c.usageError("chaos", "%v", err)
	}
	out, err := chaosCommand(cf.Control, strings.Join(pos, " "))
	if err != nil {
		return c.failf("chaos", "%v", err)
	}
	fmt.Fprint(c.stdout, out)
	return exitOK
}

// chaosCommand sends one command to a cluster's control address.
func chaosCommand(control, cmd string) (string, error) {
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Post("http://"+control+"/chaos", "text/plain", strings.NewReader(cmd))
	if err != nil {
		return "", fmt.Errorf("the cluster does not answer at %s (%v): is lab cluster still running?", control, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s", strings.TrimSpace(string(body)))
	}
	return string(body), nil
}
