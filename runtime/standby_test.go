package runtime_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/runtime"
)

// With one standby replica, each instance keeps a warm copy of the other's
// stateful tasks; when one instance stops, the survivor takes its tasks over
// restoring only a short changelog tail, and the counts stay exact.
func TestStandbyFailover(t *testing.T) {
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) { testStandbyFailover(t, workers) })
	}
}

func testStandbyFailover(t *testing.T, workers int) {
	c := newCluster(t, map[string]int32{"lines": 4, "counts-out": 4})
	topo := wordCount(t)
	cfg := func(id string) runtime.Config {
		return runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: t.TempDir(), Guarantee: runtime.ExactlyOnce,
			CommitInterval: 20 * time.Millisecond, Logger: quiet(t), InstanceID: id, StandbyReplicas: 1, Workers: workers}
	}
	want := map[string]int64{}
	produce := func(from, n int) {
		lines := make([]string, n)
		for i := range lines {
			var ws []string
			for j := range 4 {
				w := fmt.Sprintf("w%d", (from+i)*7+j*13%50)
				ws = append(ws, w)
				want[w]++
			}
			lines[i] = strings.Join(ws, " ")
		}
		c.produce(t, "lines", lines...)
	}
	a1, stop1 := startApp(t, topo, cfg("i1"))
	a2, stop2 := startApp(t, topo, cfg("i2"))
	waitState(t, a1, runtime.Running)
	waitState(t, a2, runtime.Running)
	produce(0, 300)
	got, _ := c.readCounts(t, "counts-out", want, 30*time.Second)
	require.Equal(t, want, got)
	require.Eventually(t, func() bool {
		return a1.Metrics().Standbys > 0 && a2.Metrics().Standbys > 0 && a2.Metrics().StandbyApplied > 0
	}, 20*time.Second, 20*time.Millisecond, "both instances keep standbys")
	time.Sleep(200 * time.Millisecond) // let the standbys catch up with the tail
	restoredBefore := a2.Metrics().Restored
	stop1()
	produce(300, 100)
	got, _ = c.readCounts(t, "counts-out", want, 30*time.Second)
	assert.Equal(t, want, got)
	restored := a2.Metrics().Restored - restoredBefore
	t.Logf("survivor restored %d records on failover; its standbys had applied %d", restored, a2.Metrics().StandbyApplied)
	assert.Less(t, restored, int64(100), "failover restores only the changelog tail the standby had not applied")
	stop2()
}
