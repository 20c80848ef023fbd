package runtime_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/runtime"
)

// A previous owner dropped from the group but still running (a zombie) can
// hold a transaction open on a changelog below records a later owner
// committed: the last stable offset stays below them. A task restored by yet
// another instance must still see those records — it waits for the open
// transaction to end (here the broker aborts it after its timeout) instead
// of stopping at the last stable offset, or the counts would go backwards.
func TestRestoreWaitsForZombieTransaction(t *testing.T) {
	c := newCluster(t, map[string]int32{"lines": 1, "counts-out": 1})
	ctx := context.Background()
	cfg := func(instance string) runtime.Config {
		return runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: t.TempDir(), InstanceID: instance,
			Guarantee: runtime.ExactlyOnce, CommitInterval: 20 * time.Millisecond, Logger: quiet(t)}
	}
	appA, stopA := startApp(t, wordCount(t), cfg("a"))
	waitState(t, appA, runtime.Running)

	// The zombie's transaction opens on the changelog below everything A
	// commits next; the broker aborts it after 4 s.
	zombie, err := kgo.NewClient(kgo.SeedBrokers(c.addrs...), kgo.TransactionalID("zombie"), kgo.TransactionTimeout(4*time.Second))
	require.NoError(t, err)
	defer zombie.Close()
	require.NoError(t, zombie.BeginTransaction())
	require.NoError(t, zombie.ProduceSync(ctx, &kgo.Record{Topic: "wc-counts-changelog", Key: []byte("a"), Value: []byte{0, 0, 0, 0, 0, 0, 0, 9}}).FirstErr())

	c.produce(t, "lines", "a", "a", "a")
	want := map[string]int64{"a": 3}
	got, _ := c.readCounts(t, "counts-out", want, 20*time.Second)
	require.Equal(t, want, got)
	stopA()
	lso, err := c.adm.ListCommittedOffsets(ctx, "wc-counts-changelog")
	require.NoError(t, err)
	hwm, err := c.adm.ListEndOffsets(ctx, "wc-counts-changelog")
	require.NoError(t, err)
	l, _ := lso.Lookup("wc-counts-changelog", 0)
	h, _ := hwm.Lookup("wc-counts-changelog", 0)
	require.Less(t, l.Offset, h.Offset, "the zombie's open transaction holds the last stable offset below A's records")

	// B takes the task over with no local state (another host).
	appB, stopB := startApp(t, wordCount(t), cfg("b"))
	defer stopB()
	c.produce(t, "lines", "a")
	want = map[string]int64{"a": 4}
	got, _ = c.readCounts(t, "counts-out", want, 30*time.Second)
	assert.Equal(t, want, got, "the count after a fourth input continues from A's committed state")
	assert.Equal(t, int64(3), appB.Metrics().Restored, "B restored A's three committed changelog records, not the zombie's aborted one")
}
