// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"fmt"
	"slices"
	"time"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/processor"
)

// Process runs a user processor (Processor API) as a node. Its children
// are addressable by name (ForwardTo); Children lists their node names in
// the order they are linked. Access lists the stores the processor may
// open by name.
type Process[KIn, VIn, KOut, VOut any] struct {
	engine.Forwarder[KOut, VOut]
	Node     string
	Proc     processor.Processor[KIn, VIn, KOut, VOut]
	Children []string
	Access   StoreAccess
	inited   bool
}

// Init implements engine.Initializer.
func (p *Process[KIn, VIn, KOut, VOut]) Init(t *engine.Task) error {
	if p.NumChildren() != len(p.Children) {
		return fmt.Errorf("%s: %d children linked but %d named", p.Node, p.NumChildren(), len(p.Children))
	}
	ctx := &procContext[KIn, VIn, KOut, VOut]{procBase: procBase{node: p.Node, access: p.Access, t: t}, p: p}
	if err := p.Proc.Init(ctx); err != nil {
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
	procBase
	p *Process[KIn, VIn, KOut, VOut]
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
		return engine.Record[KOut, VOut]{}, fmt.Errorf("%s: forwarded a record with a zero Timestamp; set it (in a punctuator, usually to the punctuation time)", c.node)
	}
	return engine.Record[KOut, VOut]{Key: r.Key, Value: r.Value, Timestamp: r.Timestamp.UnixMilli(),
		Headers: r.Headers, KeyNull: r.KeyNull, ValueNull: r.ValueNull}, nil
}

func (c *procContext[KIn, VIn, KOut, VOut]) ForwardTo(child string, r processor.Record[KOut, VOut]) error {
	i := slices.Index(c.p.Children, child)
	if i < 0 {
		return fmt.Errorf("%s: ForwardTo: no child named %q (children: %v)", c.node, child, c.p.Children)
	}
	out, err := c.engineRecord(r)
	if err != nil {
		return err
	}
	return c.p.ForwardTo(i, out)
}
