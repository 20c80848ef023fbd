// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/window"
)

// joinChildEnv carries a child instance's configuration (JSON of
// joinChildConfig); TestJoinMigrationChild runs an instance only when it
// is set.
const joinChildEnv = "EDDY_JOINMIG_CHILD"

// joinChildConfig is what the parent test tells a child instance.
type joinChildConfig struct {
	Brokers    []string
	AppID      string
	StateDir   string
	InstanceID string
}

// joinChildStatus is the line ("M {json}") a child prints every few
// milliseconds about its instance.
type joinChildStatus struct {
	State            string
	Processed        map[string]int64 // per task: the tasks the instance has
	Commits          int64
	Restored         int64
	RestoreRemaining int64
}

// Tasks are the instance's tasks, sorted.
func (s joinChildStatus) Tasks() []string { return slices.Sorted(maps.Keys(s.Processed)) }

// Session timeouts short enough that the group notices a killed instance
// in seconds; the broker must allow them (kfake's minimum is 6 s).
const (
	joinSession   = 4 * time.Second
	joinHeartbeat = 300 * time.Millisecond
	joinRebalance = 20 * time.Second
)

// bigPad pads the big right records: the two of a round (one per key)
// fill a Pebble write-ahead-log block (32 KiB) of the task's store.
const bigPad = 20 << 10

func joinMigrationTopology() (*stream.Topology, error) {
	b := stream.NewBuilder()
	l := b.Stream("left", serde.String(), serde.String())
	r := b.Stream("right", serde.String(), serde.String())
	l.Join(r, func(a, b string) string { return a + "|" + b }, window.JoinWindow(time.Hour)).To("joined", nil, nil)
	return b.Build()
}

// TestJoinMigrationChild is not a test: TestJoinTaskMovesAndIsKilled runs
// the test binary with it as a child process holding one application
// instance, so that the instance can be SIGKILLed. It prints "STATE <s>"
// on every state change and "M <json>" status lines, and stops cleanly on
// SIGTERM.
func TestJoinMigrationChild(t *testing.T) {
	raw := os.Getenv(joinChildEnv)
	if raw == "" {
		t.Skip("child process of TestJoinTaskMovesAndIsKilled")
	}
	os.Exit(runJoinChild(raw))
}

func runJoinChild(raw string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	var out sync.Mutex
	printf := func(format string, args ...any) {
		out.Lock()
		defer out.Unlock()
		fmt.Fprintf(os.Stdout, format+"\n", args...)
	}
	var cfg joinChildConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		printf("EXIT config: %v", err)
		return 2
	}
	topo, err := joinMigrationTopology()
	if err != nil {
		printf("EXIT topology: %v", err)
		return 2
	}
	app, err := runtime.New(topo, runtime.Config{
		AppID: cfg.AppID, Brokers: cfg.Brokers, StateDir: cfg.StateDir, InstanceID: cfg.InstanceID,
		Guarantee: runtime.ExactlyOnce, CommitInterval: 50 * time.Millisecond,
		Logger:        slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
		StateListener: func(_, s runtime.State) { printf("STATE %s", s) },
		ClientOptions: []kgo.Opt{kgo.SessionTimeout(joinSession), kgo.HeartbeatInterval(joinHeartbeat),
			kgo.RebalanceTimeout(joinRebalance)},
	})
	if err != nil {
		printf("EXIT new: %v", err)
		return 2
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			m := app.Metrics()
			b, _ := json.Marshal(joinChildStatus{State: app.State().String(), Processed: m.Processed,
				Commits: m.Commits, Restored: m.Restored, RestoreRemaining: m.RestoreRemaining})
			printf("M %s", b)
		}
	})
	runErr := app.Run(ctx)
	if ctx.Err() != nil && errors.Is(runErr, context.Canceled) {
		runErr = nil // stopped while starting up
	}
	cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	closeErr := app.Close(cctx)
	close(done)
	wg.Wait()
	if err := errors.Join(runErr, closeErr); err != nil {
		printf("EXIT error: %v", err)
		return 1
	}
	printf("EXIT ok")
	return 0
}

// joinChild is an instance running in a child process.
type joinChild struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed once the process was waited for

	mu      sync.Mutex
	state   string // from the last STATE line
	status  joinChildStatus
	exit    string // the EXIT line
	waitErr error
	stderr  bytes.Buffer
}

func (c *joinChild) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stderr.Write(p)
}

// startJoinChild starts an instance in a child process.
func startJoinChild(t *testing.T, name string, cfg joinChildConfig) *joinChild {
	t.Helper()
	raw, err := json.Marshal(cfg)
	require.NoError(t, err)
	c := &joinChild{t: t, name: name, done: make(chan struct{})}
	c.cmd = exec.Command(os.Args[0], "-test.run=^TestJoinMigrationChild$", "-test.count=1")
	c.cmd.Env = append(os.Environ(), joinChildEnv+"="+string(raw))
	c.cmd.Stderr = c
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := c.cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, c.cmd.Start())
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			c.mu.Lock()
			switch {
			case strings.HasPrefix(line, "STATE "):
				c.state = strings.TrimPrefix(line, "STATE ")
			case strings.HasPrefix(line, "M "):
				var s joinChildStatus
				if json.Unmarshal([]byte(line[2:]), &s) == nil {
					c.status = s
				}
			case strings.HasPrefix(line, "EXIT "):
				c.exit = strings.TrimPrefix(line, "EXIT ")
			}
			c.mu.Unlock()
		}
		_, _ = io.Copy(io.Discard, stdout) // after a line too long to scan
		err := c.cmd.Wait()
		c.mu.Lock()
		c.waitErr = err
		c.mu.Unlock()
		close(c.done)
	}()
	t.Cleanup(func() {
		select {
		case <-c.done:
		default:
			_ = c.cmd.Process.Signal(syscall.SIGKILL)
			<-c.done
		}
		if t.Failed() {
			c.mu.Lock()
			defer c.mu.Unlock()
			t.Logf("instance %s (pid %d) exit %q, wait %v, stderr:\n%s", c.name, c.cmd.Process.Pid, c.exit, c.waitErr, tail(c.stderr.String(), 8000))
		}
	})
	return c
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// snapshot returns the child's last state and status.
func (c *joinChild) snapshot() (string, joinChildStatus) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state, c.status
}

func (c *joinChild) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// waitFor waits until cond holds for the child's status (its state is
// RUNNING in the status line and in the last STATE line too).
func (c *joinChild) waitFor(what string, cond func(joinChildStatus) bool) joinChildStatus {
	c.t.Helper()
	require.Eventually(c.t, func() bool {
		state, s := c.snapshot()
		return state == "RUNNING" && s.State == "RUNNING" && cond(s)
	}, 45*time.Second, 20*time.Millisecond, "instance %s: %s", c.name, what)
	_, s := c.snapshot()
	return s
}

// stop sends SIGTERM and waits for a clean exit.
func (c *joinChild) stop() {
	c.t.Helper()
	require.NoError(c.t, c.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-c.done:
	case <-time.After(45 * time.Second):
		c.t.Fatalf("instance %s did not stop within 45 s of SIGTERM", c.name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	require.NoError(c.t, c.waitErr, "instance %s: %s", c.name, c.exit)
	require.Equal(c.t, "ok", c.exit, "instance %s", c.name)
}

// kill SIGKILLs the child and waits for it to be gone.
func (c *joinChild) kill() {
	c.t.Helper()
	require.False(c.t, c.exited(), "instance %s exited before it was killed: %s", c.name, c.exit)
	require.NoError(c.t, c.cmd.Process.Signal(syscall.SIGKILL))
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		c.t.Fatalf("instance %s still there 30 s after SIGKILL", c.name)
	}
}

// A stream–stream join task moves from instance A to B and back, and then
// A is SIGKILLed and restarted on its state directory, all exactly-once:
// every (left, right) pair of the same key joins exactly once.
//
// While B has the task it writes the task's join-store changelogs; A
// restores those writes when the task comes back. A then commits cycles in
// which the returned task writes none of its changelogs, or only the
// right side's. If a commit recorded for the returned task a changelog
// offset older than the one restored (as a worker-wide cache of the
// offsets A had before the task left did), the restart after the kill
// would restore B's writes a second time into the duplicate-keeping join
// buffers, and each later right record would join B's left records twice.
func TestJoinTaskMovesAndIsKilled(t *testing.T) {
	start := time.Now()
	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.GroupMinSessionTimeout(100*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(kc.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(kc.ListenAddrs()...), kgo.MetadataMinAge(100*time.Millisecond),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	adm := kadm.NewClient(cl)
	ctx := context.Background()
	for _, topic := range []string{"left", "right", "joined"} {
		_, err := adm.CreateTopic(ctx, 2, 1, nil, topic)
		require.NoError(t, err)
	}

	const app = "joinmig"
	aCfg := joinChildConfig{Brokers: kc.ListenAddrs(), AppID: app, StateDir: t.TempDir(), InstanceID: "A"}
	bCfg := joinChildConfig{Brokers: kc.ListenAddrs(), AppID: app, StateDir: t.TempDir(), InstanceID: "B"}

	// Keys k0, k1 are written to partition 0, k2, k3 to partition 1 (both
	// topics, so that they join).
	keys := map[int32][]string{0: {"k0", "k1"}, 1: {"k2", "k3"}}
	type rec struct {
		key, value string
	}
	var lefts, rights []rec
	ts := time.Now().UnixMilli() // every record within the hour window
	// produce writes one record of side for every key of parts, its value
	// the record's name padded with pad bytes.
	produce := func(phase, side string, pad int, parts ...int32) {
		t.Helper()
		var rs []*kgo.Record
		for _, p := range parts {
			for _, k := range keys[p] {
				ts++
				v := fmt.Sprintf("%s%s.%s", strings.ToUpper(side[:1]), phase, k) + strings.Repeat("~", pad)
				rs = append(rs, &kgo.Record{Topic: side, Partition: p, Key: []byte(k), Value: []byte(v),
					Timestamp: time.UnixMilli(ts)})
				if side == "left" {
					lefts = append(lefts, rec{k, v})
				} else {
					rights = append(rights, rec{k, v})
				}
			}
		}
		require.NoError(t, cl.ProduceSync(ctx, rs...).FirstErr())
	}
	// caughtUp: the group committed every input record written so far
	// (under exactly-once, atomically with the output and changelog
	// writes of processing them).
	caughtUp := func(what string) {
		t.Helper()
		ends, err := adm.ListEndOffsets(ctx, "left", "right")
		require.NoError(t, err)
		require.NoError(t, ends.Error())
		require.Eventually(t, func() bool {
			committed, err := adm.FetchOffsets(ctx, app)
			if err != nil {
				return false
			}
			ok := true
			ends.Each(func(e kadm.ListedOffset) {
				c, found := committed.Lookup(e.Topic, e.Partition)
				if e.Offset > 0 && (!found || c.At < e.Offset) {
					ok = false
				}
			})
			return ok
		}, 45*time.Second, 20*time.Millisecond, "%s: input not processed and committed", what)
	}
	both := []string{"0_0", "0_1"}

	// 1. A alone has both tasks.
	a := startJoinChild(t, "A", aCfg)
	a.waitFor("both tasks", func(s joinChildStatus) bool { return slices.Equal(s.Tasks(), both) })
	produce("1", "left", 0, 0, 1)
	produce("1", "right", 0, 0, 1)
	caughtUp("A alone")
	t.Logf("%v: A processed phase 1", time.Since(start).Round(time.Millisecond))

	// 2. B joins and takes one task; both write.
	b := startJoinChild(t, "B", bCfg)
	bs := b.waitFor("one task", func(s joinChildStatus) bool { return len(s.Tasks()) == 1 })
	moved := bs.Tasks()[0]
	kept := both[0]
	if moved == kept {
		kept = both[1]
	}
	a.waitFor("only "+kept, func(s joinChildStatus) bool { return slices.Equal(s.Tasks(), []string{kept}) })
	produce("2", "left", 0, 0, 1)
	produce("2", "right", 0, 0, 1)
	caughtUp("A and B")
	bs = b.waitFor("still "+moved, func(s joinChildStatus) bool { return slices.Equal(s.Tasks(), []string{moved}) })
	require.Positive(t, bs.Processed[moved], "B processed nothing of %s", moved)
	t.Logf("%v: B has %s and processed %d records of it; A has %s", time.Since(start).Round(time.Millisecond),
		moved, bs.Processed[moved], kept)

	// 3. B stops cleanly; A takes the task back and restores B's writes.
	// A then commits cycles in which the returned task writes nothing, and
	// cycles in which it writes only its right-side join store: its
	// left-side changelog offset must stay the one restored.
	//
	// The right records are big: the task's Pebble store keeps unsynced
	// writes in a 32 KiB write-ahead-log block in the process until the
	// block fills, so without them the SIGKILL would also drop every state
	// write since A reopened the task, the commits after the return
	// included.
	b.stop()
	as := a.waitFor("both tasks back, restored", func(s joinChildStatus) bool {
		return slices.Equal(s.Tasks(), both) && s.Restored > 0 && s.RestoreRemaining == 0
	})
	t.Logf("%v: A has %s back, restored %d records", time.Since(start).Round(time.Millisecond), moved, as.Restored)
	a.waitFor("commits after the return", func(s joinChildStatus) bool { return s.Commits >= as.Commits+3 })
	keptPart, movedPart := int32(kept[len(kept)-1]-'0'), int32(moved[len(moved)-1]-'0')
	produce("3", "left", 0, keptPart)
	produce("3", "right", 0, keptPart)
	caughtUp("A after the return")
	for _, round := range []string{"3a", "3b", "3c"} {
		produce(round, "right", bigPad, movedPart)
		caughtUp("A after the return, big records " + round)
	}
	_, as = a.snapshot()
	a.waitFor("more commits", func(s joinChildStatus) bool { return s.Commits >= as.Commits+3 })

	// 4. A is killed, restarted on its state directory, and more right
	// records are written for every key.
	a.kill()
	t.Logf("%v: A killed", time.Since(start).Round(time.Millisecond))
	a = startJoinChild(t, "A (restarted)", aCfg)
	as = a.waitFor("both tasks after the restart", func(s joinChildStatus) bool {
		return slices.Equal(s.Tasks(), both) && s.RestoreRemaining == 0
	})
	t.Logf("%v: A restarted, restored %d records", time.Since(start).Round(time.Millisecond), as.Restored)
	produce("4", "right", 0, 0, 1)
	caughtUp("A restarted")

	// Every pair of a left and a right record of the same key, exactly once.
	want := map[string]int{}
	for _, l := range lefts {
		for _, r := range rights {
			if l.key == r.key {
				want[l.value+"|"+r.value] = 1
			}
		}
	}
	total := len(want)
	rd, err := kgo.NewClient(kgo.SeedBrokers(kc.ListenAddrs()...), kgo.ConsumeTopics("joined"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	require.NoError(t, err)
	defer rd.Close()
	got := map[string]int{}
	n := 0
	// Everything was committed before this read: read until all results
	// are there, then until nothing more comes for a second.
	deadline := time.Now().Add(30 * time.Second)
	var idle time.Time
	for time.Now().Before(deadline) {
		pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		fs := rd.PollFetches(pctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) {
			got[string(r.Value)]++
			n++
		})
		switch {
		case fs.NumRecords() > 0 || n < total:
			idle = time.Time{}
		case idle.IsZero():
			idle = time.Now()
		case time.Since(idle) > time.Second:
			deadline = time.Time{}
		}
	}
	var dups, missing, unexpected []string
	for pair := range got {
		switch {
		case want[pair] == 0:
			unexpected = append(unexpected, pair)
		case got[pair] > 1:
			dups = append(dups, fmt.Sprintf("%s ×%d", pair, got[pair]))
		}
	}
	for pair := range want {
		if got[pair] == 0 {
			missing = append(missing, pair)
		}
	}
	for _, l := range [][]string{dups, missing, unexpected} {
		slices.Sort(l)
		for i := range l {
			l[i] = strings.ReplaceAll(l[i], strings.Repeat("~", bigPad), "~") // shorter messages
		}
	}
	t.Logf("%v: %d join results read, %d expected (%d left, %d right records); task %s moved to B and back",
		time.Since(start).Round(time.Millisecond), n, total, len(lefts), len(rights), moved)
	assert.Empty(t, dups, "join results written more than once")
	assert.Empty(t, missing, "join results missing")
	assert.Empty(t, unexpected, "join results of no pair")
	assert.Equal(t, total, n, "join results read")
	a.stop()
}
