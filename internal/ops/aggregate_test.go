// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state/memory"
)

type changes struct{ got []string }

func (c *changes) Process(r engine.Record[string, engine.Change[[]string]]) error {
	show := func(v []string, has bool) string {
		if !has {
			return "-"
		}
		return fmt.Sprint(v)
	}
	c.got = append(c.got, r.Key+":"+show(r.Value.Old, r.Value.HasOld)+"->"+show(r.Value.New, r.Value.HasNew))
	return nil
}

type sent struct{ recs []string }

func (c *sent) Send(r *engine.RawRecord) error {
	v := string(r.Value)
	if r.Value == nil {
		v = "<tombstone>"
	}
	c.recs = append(c.recs, string(r.Key)+"="+v)
	return nil
}
func (c *sent) PartitionCount(string) (int32, error) { return 1, nil }

// With the record cache, a nil aggregate is a deletion too: the flush
// logs a tombstone and forwards the deletion with the old aggregate, and
// nothing for a key the store never held (Kafka Streams' caching store
// skips a null for a key absent from the store).
func TestAggregateNilDeletesCached(t *testing.T) {
	out, coll := &changes{}, &sent{}
	agg := &Aggregate[string, string, []string]{Node: "agg", Store: "kv", KeySerde: serde.String(), AggSerde: serde.JSON[[]string](),
		Initial: func(_, v string) []string { return []string{v} },
		Add: func(_, v string, agg []string) []string {
			if v == "reset" {
				return nil
			}
			return append(agg, v)
		}}
	task, err := engine.NewTask(engine.Config{
		AppID: "app", ID: engine.TaskID{Partition: 0},
		Spec: &engine.Spec{
			Stores: []engine.StoreSpec{{Name: "kv", Kind: engine.KeyValueKind, Logged: true, Cached: true}},
			Nodes: []engine.NodeSpec{
				{ID: 0, Name: "src", Topics: []string{"in"},
					New: func(*engine.Task) (any, error) {
						return &Source[string, string]{Node: "src", KeySerde: serde.String(), ValueSerde: serde.String()}, nil
					},
					Links: []func([]any){func(inst []any) {
						inst[0].(*Source[string, string]).AddChild(inst[1].(*Aggregate[string, string, []string]))
					}}},
				{ID: 1, Name: "agg", New: func(*engine.Task) (any, error) { return agg, nil },
					Links: []func([]any){func(inst []any) { agg.AddChild(out) }}},
			},
		},
		Backend: memory.New(), Collector: coll, Cache: engine.NewCache(1 << 20),
	})
	require.NoError(t, err)
	defer task.Close()
	pipe := func(off int64, k, v string) {
		require.NoError(t, task.Process(&engine.RawRecord{Topic: "in", Offset: off, Key: []byte(k), Value: []byte(v), Timestamp: off}))
	}
	pipe(0, "k", "a")
	pipe(1, "k", "b")
	require.NoError(t, task.Flush())
	pipe(2, "k", "reset")
	pipe(3, "other", "x")
	pipe(4, "other", "reset") // never flushed: nothing to delete
	require.NoError(t, task.Flush())
	pipe(5, "k", "c")
	require.NoError(t, task.Flush())
	assert.Equal(t, []string{"k:-->[a b]", "k:[a b]->-", "k:-->[c]"}, out.got)
	// The changelog of k. (The record cache also logs a tombstone for
	// "other", which Kafka Streams' caching store skips for a key the store
	// never held; that is the cache's behaviour for every store.)
	var logK []string
	for _, r := range coll.recs {
		if r[0] == 'k' {
			logK = append(logK, r)
		}
	}
	assert.Equal(t, []string{`k=["a","b"]`, "k=<tombstone>", `k=["c"]`}, logK)
}
