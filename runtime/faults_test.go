package runtime_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/eddy-streams/eddy/runtime"
)

// Retriable broker errors on produce, fetch, offset commits and
// transactions are survived with exact output.
func TestInjectedBrokerFaults(t *testing.T) {
	for _, g := range []runtime.Guarantee{runtime.AtLeastOnce, runtime.ExactlyOnce} {
		t.Run(g.String(), func(t *testing.T) {
			c := newCluster(t, map[string]int32{"lines": 3, "counts-out": 3})
			c.produce(t, "lines", "p q", "q r", "r")
			// Installed after the input is written, so the faults hit the
			// application's own requests.
			h := c.c.Fault(
				kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.NotLeaderForPartition, Count: 5},
				kfake.Fault{Keys: []kmsg.Key{kmsg.Fetch}, Err: kerr.NotLeaderForPartition, Count: 5},
				kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetCommit, kmsg.TxnOffsetCommit}, Err: kerr.CoordinatorLoadInProgress, Count: 3},
				kfake.Fault{Keys: []kmsg.Key{kmsg.EndTxn}, Err: kerr.CoordinatorLoadInProgress, TopLevel: true, Count: 2},
			)
			defer h.Remove()
			_, stop := startApp(t, wordCount(t), runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: t.TempDir(),
				Guarantee: g, CommitInterval: 20 * time.Millisecond, Logger: quiet(t)})
			want := map[string]int64{"p": 1, "q": 2, "r": 2}
			got, _ := c.readCounts(t, "counts-out", want, 30*time.Second)
			assert.Equal(t, want, got)
			c.produce(t, "lines", "p")
			want["p"] = 2
			got, _ = c.readCounts(t, "counts-out", want, 30*time.Second)
			assert.Equal(t, want, got)
			stop()
			assert.Positive(t, h.Hits(), "faults were injected")
		})
	}
}

// A second instance started with the same instance id (and so the same
// transactional id) fences the first: the zombie stops with a fencing
// error and none of its later writes become visible.
func TestZombieIsFenced(t *testing.T) {
	c := newCluster(t, map[string]int32{"lines": 2, "counts-out": 2})
	cfg := runtime.Config{AppID: "wc", Brokers: c.addrs, Guarantee: runtime.ExactlyOnce,
		CommitInterval: 20 * time.Millisecond, Logger: quiet(t), InstanceID: "same"}
	c.produce(t, "lines", "a b")

	cfg.StateDir = t.TempDir()
	zombie, err := runtime.New(wordCount(t), cfg)
	require.NoError(t, err)
	zctx, zcancel := context.WithCancel(context.Background())
	defer zcancel()
	var zerr error
	var wg sync.WaitGroup
	wg.Go(func() { zerr = zombie.Run(zctx) })
	want := map[string]int64{"a": 1, "b": 1}
	got, _ := c.readCounts(t, "counts-out", want, 20*time.Second)
	require.Equal(t, want, got)

	cfg.StateDir = t.TempDir()
	_, stop := startApp(t, wordCount(t), cfg)
	c.produce(t, "lines", "a", "b c")
	want = map[string]int64{"a": 2, "b": 2, "c": 1}
	got, n := c.readCounts(t, "counts-out", want, 30*time.Second)
	assert.Equal(t, want, got, "read %d records", n)

	wg.Wait() // the zombie must stop by itself
	require.Error(t, zerr)
	assert.True(t, errors.Is(zerr, kerr.ProducerFenced) || errors.Is(zerr, kerr.InvalidProducerEpoch) ||
		errors.Is(zerr, kerr.TransactionalIDAuthorizationFailed) || assert.ObjectsAreEqual(runtime.Error, zombie.State()),
		"zombie stopped with %v", zerr)
	assert.Equal(t, runtime.Error, zombie.State())
	require.NoError(t, zombie.Close(context.Background()))
	stop()
}
