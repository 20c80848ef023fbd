// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/processor"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state/memory"
)

type nullCollector struct{ sent []*engine.RawRecord }

func (c *nullCollector) Send(r *engine.RawRecord) error { c.sent = append(c.sent, r); return nil }
func (c *nullCollector) PartitionCount(string) (int32, error) {
	return 1, nil
}

type committer struct {
	ctx processor.FixedKeyContext[string, string]
	ids string
}

func (p *committer) Init(ctx processor.FixedKeyContext[string, string]) error {
	p.ctx = ctx
	p.ids = ctx.ApplicationID() + " " + ctx.TaskID()
	ctx.Schedule(time.Second, processor.WallClock, func(time.Time) error { ctx.RequestCommit(); return nil })
	return nil
}

func (p *committer) Process(r processor.FixedKeyRecord[string, string]) error {
	if r.Value == "commit" {
		p.ctx.RequestCommit()
	}
	return p.ctx.Forward(r)
}

func (p *committer) Close() error { return nil }

// RequestCommit reaches the task's owner, from Process and from
// punctuators; the context reports application and task ids.
func TestProcessRequestCommit(t *testing.T) {
	var c *committer
	b := NewBuilder()
	b.Stream("in", serde.String(), serde.String()).
		ProcessValues(func() processor.FixedKeyProcessor[string, string, string] { c = &committer{}; return c }).
		To("out", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	coll := &nullCollector{}
	now := int64(0)
	task, err := engine.NewTask(engine.Config{AppID: "app", ID: engine.TaskID{Partition: 3}, Spec: topo.t.Spec(0, "app"),
		Backend: memory.New(), Collector: coll, Clock: func() int64 { return now }})
	require.NoError(t, err)
	defer task.Close()
	assert.Equal(t, "app 0_3", c.ids)

	require.NoError(t, task.Process(&engine.RawRecord{Topic: "in", Key: []byte("k"), Value: []byte("x")}))
	assert.False(t, task.CommitRequested())
	require.NoError(t, task.Process(&engine.RawRecord{Topic: "in", Key: []byte("k"), Value: []byte("commit")}))
	assert.True(t, task.CommitRequested())
	assert.False(t, task.CommitRequested(), "the request is consumed")
	now = 1000
	require.NoError(t, task.PunctuateWallClock(now))
	assert.True(t, task.CommitRequested())
	assert.Len(t, coll.sent, 2)
}
