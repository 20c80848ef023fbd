// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"fmt"
	"slices"
	"time"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/processor"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/state"
)

// Process runs a user processor (Processor API) as a node. Its children
// are addressable by name (ForwardTo); Children lists their node names in
// the order they are linked. Stores lists the stores the processor may open
// by name; WindowSizes gives the window size (ms) of its window stores.
type Process[KIn, VIn, KOut, VOut any] struct {
	engine.Forwarder[KOut, VOut]
	Node     string
	Proc     processor.Processor[KIn, VIn, KOut, VOut]
	Children []string
	Stores   []string
	// WindowSizes maps each connected window store to its window size in
	// milliseconds.
	WindowSizes map[string]int64
	t           *engine.Task
	inited      bool
}

// Init implements engine.Initializer.
func (p *Process[KIn, VIn, KOut, VOut]) Init(t *engine.Task) error {
	p.t = t
	if p.NumChildren() != len(p.Children) {
		return fmt.Errorf("%s: %d children linked but %d named", p.Node, p.NumChildren(), len(p.Children))
	}
	if err := p.Proc.Init(&procContext[KIn, VIn, KOut, VOut]{p: p}); err != nil {
		return err
	}
	p.inited = true
	return nil
}

// Process implements engine.Processor.
func (p *Process[KIn, VIn, KOut, VOut]) Process(r engine.Record[KIn, VIn]) error {
	in := processor.Record[KIn, VIn]{Key: r.Key, Value: r.Value, Timestamp: time.UnixMilli(r.Timestamp),
		Headers: r.Headers, KeyNull: r.KeyNull, ValueNull: r.ValueNull}
	if err := p.Proc.Process(in); err != nil {
		return fmt.Errorf("%s: %w", p.Node, err)
	}
	return nil
}

// Close implements engine.Closer.
func (p *Process[KIn, VIn, KOut, VOut]) Close() error {
	if !p.inited {
		return nil
	}
	p.inited = false
	if err := p.Proc.Close(); err != nil {
		return fmt.Errorf("%s: close: %w", p.Node, err)
	}
	return nil
}

// procContext implements processor.Context over the task.
type procContext[KIn, VIn, KOut, VOut any] struct {
	p *Process[KIn, VIn, KOut, VOut]
}

func (c *procContext[KIn, VIn, KOut, VOut]) ApplicationID() string { return c.p.t.AppID() }

func (c *procContext[KIn, VIn, KOut, VOut]) TaskID() string { return c.p.t.ID().String() }

func (c *procContext[KIn, VIn, KOut, VOut]) RecordMetadata() (processor.RecordMetadata, bool) {
	rc := c.p.t.RecordContext()
	if rc.Topic == "" {
		return processor.RecordMetadata{}, false
	}
	return processor.RecordMetadata{Topic: rc.Topic, Partition: rc.Partition, Offset: rc.Offset}, true
}

func (c *procContext[KIn, VIn, KOut, VOut]) Headers() []record.Header {
	return c.p.t.RecordContext().Headers
}

func (c *procContext[KIn, VIn, KOut, VOut]) StreamTime() time.Time {
	st := c.p.t.StreamTime()
	if st == engine.UnknownTime {
		return time.Time{}
	}
	return time.UnixMilli(st)
}

func (c *procContext[KIn, VIn, KOut, VOut]) WallClockTime() time.Time {
	return time.UnixMilli(c.p.t.Now())
}

func (c *procContext[KIn, VIn, KOut, VOut]) Schedule(interval time.Duration, typ processor.PunctuationType, fn processor.Punctuator) (cancel func()) {
	node := c.p.Node
	clock := engine.StreamTime
	if typ == processor.WallClock {
		clock = engine.WallClock
	}
	return c.p.t.Schedule(interval.Milliseconds(), clock, func(ts int64) error {
		at := time.UnixMilli(ts)
		if err := fn(at); err != nil {
			return fmt.Errorf("%s: %v punctuation at %s: %w", node, typ, at.UTC().Format(time.RFC3339Nano), err)
		}
		return nil
	})
}

func (c *procContext[KIn, VIn, KOut, VOut]) RequestCommit() { c.p.t.RequestCommit() }

func (c *procContext[KIn, VIn, KOut, VOut]) StateStore(name string) (state.KeyValueStore, error) {
	// Global stores are readable by every processor, connected or not, as
	// in Kafka Streams.
	if g, err := c.p.t.GlobalStore(name); err == nil {
		return g.Plain(), nil
	}
	if !slices.Contains(c.p.Stores, name) {
		return nil, fmt.Errorf("%s: store %q is not connected to this processor (connected: %v); pass it with stream.WithStores", c.p.Node, name, c.p.Stores)
	}
	s, err := c.p.t.KeyValue(name)
	if err != nil {
		return nil, err
	}
	return s.Logged(), nil
}

func (c *procContext[KIn, VIn, KOut, VOut]) WindowStateStore(name string) (state.WindowStore, time.Duration, error) {
	if !slices.Contains(c.p.Stores, name) {
		return nil, 0, fmt.Errorf("%s: store %q is not connected to this processor (connected: %v); pass it with stream.WithStores", c.p.Node, name, c.p.Stores)
	}
	s, err := c.p.t.Window(name)
	if err != nil {
		return nil, 0, err
	}
	return s.Logged(), time.Duration(c.p.WindowSizes[name]) * time.Millisecond, nil
}

func (c *procContext[KIn, VIn, KOut, VOut]) Forward(r processor.Record[KOut, VOut]) error {
	out, err := c.engineRecord(r)
	if err != nil {
		return err
	}
	return c.p.Forward(out)
}

// engineRecord converts a record forwarded by the user's processor.
func (c *procContext[KIn, VIn, KOut, VOut]) engineRecord(r processor.Record[KOut, VOut]) (engine.Record[KOut, VOut], error) {
	if r.Timestamp.IsZero() {
		return engine.Record[KOut, VOut]{}, fmt.Errorf("%s: forwarded a record with a zero Timestamp; set it (in a punctuator, usually to the punctuation time)", c.p.Node)
	}
	return engine.Record[KOut, VOut]{Key: r.Key, Value: r.Value, Timestamp: r.Timestamp.UnixMilli(),
		Headers: r.Headers, KeyNull: r.KeyNull, ValueNull: r.ValueNull}, nil
}

func (c *procContext[KIn, VIn, KOut, VOut]) ForwardTo(child string, r processor.Record[KOut, VOut]) error {
	i := slices.Index(c.p.Children, child)
	if i < 0 {
		return fmt.Errorf("%s: ForwardTo: no child named %q (children: %v)", c.p.Node, child, c.p.Children)
	}
	out, err := c.engineRecord(r)
	if err != nil {
		return err
	}
	return c.p.ForwardTo(i, out)
}
