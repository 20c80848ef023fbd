// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/processor"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/window"
)

// sessionMerger keeps a key's sessions (10 ms inactivity gap) in a
// Processor API session store: each record merges the sessions it touches
// and forwards "[start,end]:count", times in ms after base.
type sessionMerger struct {
	base     int64
	store    stream.SessionStore[string, int64]
	ctx      processor.Context[string, string]
	sessions state.SessionView[string, int64]
}

func (p *sessionMerger) Init(ctx processor.Context[string, string]) (err error) {
	p.ctx = ctx
	p.sessions, err = p.store.Open(ctx)
	return err
}

func (p *sessionMerger) Process(r processor.Record[string, string]) error {
	const gap = 10 * time.Millisecond
	var found []record.KeyValue[window.Windowed[string], int64]
	for s, err := range p.sessions.FindSessions(r.Key, r.Timestamp.Add(-gap), r.Timestamp.Add(gap)) {
		if err != nil {
			return err
		}
		found = append(found, s)
	}
	start, end, n := r.Timestamp, r.Timestamp, int64(1)
	for _, s := range found {
		if err := p.sessions.Remove(r.Key, s.Key.Window.Start(), s.Key.Window.End()); err != nil {
			return err
		}
		if s.Key.Window.Start().Before(start) {
			start = s.Key.Window.Start()
		}
		if s.Key.Window.End().After(end) {
			end = s.Key.Window.End()
		}
		n += s.Value
	}
	if err := p.sessions.Put(r.Key, start, end, n); err != nil {
		return err
	}
	r.Value = fmt.Sprintf("[%d,%d]:%d", start.UnixMilli()-p.base, end.UnixMilli()-p.base, n)
	return p.ctx.Forward(r)
}

func (p *sessionMerger) Close() error { return nil }

// A Processor API session store on real Kafka: its changelog is created
// with the session layout's cleanup policy, and a second instance with an
// empty state directory restores the sessions from it and carries on.
func TestProcessorSessionStoreRestores(t *testing.T) {
	k := needKafka(t)
	in, out := k.name("papi-clicks"), k.name("papi-sessions")
	k.createTopic(in, 2)
	k.createTopic(out, 2)
	base := time.Now().Add(-time.Minute).UnixMilli()
	build := func() *stream.Topology {
		sessions := stream.NewSessionStore(stream.SessionStoreSpec{Name: "papi-sessions", Retention: time.Hour}, serde.String(), serde.Int64())
		b := stream.NewBuilder()
		b.Stream(in, serde.String(), serde.String()).
			Process(func() processor.Processor[string, string, string, string] {
				return &sessionMerger{base: base, store: sessions}
			}, sessions).
			To(out, serde.String(), serde.String())
		topo, err := b.Build()
		if err != nil {
			t.Fatal(err)
		}
		return topo
	}
	click := func(key string, at int64) rec { return rec{Key: []byte(key), Value: []byte("click"), Time: base + at} }
	values := func(rs []*kgo.Record) []string {
		var vs []string
		for _, r := range rs {
			vs = append(vs, string(r.Key)+string(r.Value))
		}
		slices.Sort(vs)
		return vs
	}
	tl := k.tail(out)
	cfg := runtime.Config{AppID: k.name("papi-app"), Guarantee: runtime.ExactlyOnce, CommitInterval: 100 * time.Millisecond}
	k.produce(in, click("a", 0), click("a", 5), click("b", 6))
	first := k.start("i1", build(), cfg)
	first.waitRunning(outputTimeout)
	if !tl.until(outputTimeout, func(rs []*kgo.Record) bool { return len(rs) >= 3 }) {
		t.Fatalf("first instance: %d of 3 outputs", len(tl.recs))
	}
	first.mustStop()
	if got, want := values(tl.recs), []string{"a[0,0]:1", "a[0,5]:2", "b[6,6]:1"}; !slices.Equal(got, want) {
		t.Fatalf("first instance wrote %v, want %v", got, want)
	}
	_, cfgs := k.topicInfo(cfg.AppID+"-papi-sessions-changelog", "cleanup.policy")
	if cfgs["cleanup.policy"] != "compact,delete" {
		t.Errorf("changelog cleanup.policy %q, want compact,delete", cfgs["cleanup.policy"])
	}

	second := k.start("i2", build(), cfg) // a fresh state directory: restore
	second.waitRunning(outputTimeout)
	k.produce(in, click("a", 14), click("b", 30))
	if !tl.until(outputTimeout, func(rs []*kgo.Record) bool { return len(rs) >= 5 }) {
		t.Fatalf("second instance: %d of 5 outputs", len(tl.recs))
	}
	second.mustStop()
	if got, want := values(tl.recs[3:]), []string{"a[0,14]:3", "b[30,30]:1"}; !slices.Equal(got, want) {
		t.Fatalf("second instance wrote %v, want %v (a's restored session [0,5] merged)", got, want)
	}
}
