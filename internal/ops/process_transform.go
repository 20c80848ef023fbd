// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"fmt"
	"time"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/processor"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
)

// TableTransformValues runs a user ValueTransformer on a table's changes
// (Kafka Streams' KTableTransformValues). The transformer sees each
// update's new value, or found false for a deletion.
//
// Without Store, if SendOld is set (a downstream operator needs old
// values), the old value forwarded is the transform of the incoming old
// value, found false when there is none, so the transformer is called
// twice per update, as in Kafka Streams with old values enabled; without
// SendOld no old value is forwarded. With Store the result is kept in
// that key-value store (a transformed "no value" deletes the row), the old
// value forwarded is the store's previous row, and the transformer is
// called once per update.
type TableTransformValues[K, V, V2 any] struct {
	engine.Forwarder[K, engine.Change[V2]]
	Node        string
	drops       dropLog
	Transformer processor.ValueTransformer[K, V, V2]
	Access      StoreAccess
	Store       string
	Versioned   bool // the store is a versioned one
	SendOld     bool
	KeySerde    serde.Serde[K]
	ValueSerde  serde.Serde[V2]
	store       *tableStore
	topic       string
	ctx         *transformContext
	inited      bool
}

// transformContext is the transformer's processor.ValueTransformerContext.
type transformContext struct {
	procBase
	inRecord bool
	cur      int64
}

func (c *transformContext) Timestamp() time.Time {
	if c.inRecord {
		return time.UnixMilli(c.cur)
	}
	return time.UnixMilli(c.t.RecordContext().Timestamp)
}

// Init implements engine.Initializer.
func (p *TableTransformValues[K, V, V2]) Init(t *engine.Task) error {
	if p.Store != "" {
		s, err := openTableStore(t, p.Store, p.Versioned)
		if err != nil {
			return err
		}
		p.store, p.topic = &s, storeTopic(s.changelogTopic(), p.Store)
	}
	p.ctx = &transformContext{procBase: procBase{node: p.Node, access: p.Access, t: t}}
	if err := p.Transformer.Init(p.ctx); err != nil {
		return fmt.Errorf("%s: init: %w", p.Node, err)
	}
	p.inited = true
	return nil
}

func (p *TableTransformValues[K, V, V2]) transform(key K, v V, found bool) (V2, bool, error) {
	out, ok, err := p.Transformer.Transform(key, v, found)
	if err != nil {
		return out, false, fmt.Errorf("%s: %w", p.Node, err)
	}
	if !ok {
		var zero V2
		out = zero
	}
	return out, ok, nil
}

// Process implements engine.Processor.
func (p *TableTransformValues[K, V, V2]) Process(r engine.Record[K, engine.Change[V]]) error {
	p.ctx.inRecord, p.ctx.cur = true, r.Timestamp
	defer func() { p.ctx.inRecord = false }()
	// An out-of-order update of a versioned table stays marked as one
	// (Kafka Streams passes change.isLatest on), so joins and aggregations
	// downstream ignore it.
	out := engine.Change[V2]{NotLatest: r.Value.NotLatest}
	var err error
	if out.New, out.HasNew, err = p.transform(r.Key, r.Value.New, r.Value.HasNew); err != nil {
		return err
	}
	if p.store == nil {
		if p.SendOld {
			if out.Old, out.HasOld, err = p.transform(r.Key, r.Value.Old, r.Value.HasOld); err != nil {
				return err
			}
		}
		return p.Forward(engine.Record[K, engine.Change[V2]]{Key: r.Key, Value: out, Timestamp: r.Timestamp, Headers: r.Headers})
	}
	kb, err := p.KeySerde.Serialize(p.topic, r.Key)
	if err != nil {
		return fmt.Errorf("%s: serialize key for store %s: %w", p.Node, p.Store, err)
	}
	old, _, found, err := p.store.get(kb)
	if err != nil {
		return engine.Fatal(fmt.Errorf("%s: read store %s: %w", p.Node, p.Store, err))
	}
	if found {
		if out.Old, err = p.ValueSerde.Deserialize(p.topic, old); err != nil {
			return fmt.Errorf("%s: decode value from store %s: %w", p.Node, p.Store, err)
		}
		out.HasOld = true
	}
	var nb []byte
	if out.HasNew {
		if nb, err = p.ValueSerde.Serialize(p.topic, out.New); err != nil {
			return fmt.Errorf("%s: serialize value for store %s: %w", p.Node, p.Store, err)
		}
		if nb == nil {
			nb = []byte{}
		}
	}
	to, err := p.store.put(kb, nb, r.Timestamp)
	if err != nil {
		return fmt.Errorf("%s: write store %s: %w", p.Node, p.Store, err)
	}
	// As Kafka Streams' materialized KTableTransformValues: a change the
	// (versioned) store does not take is not forwarded; the change is
	// marked as not the latest if it is not its key's latest version in
	// this store (never, for a key-value store).
	if to == state.VersionNotPut {
		p.drops.drop(p.ctx.t, p.Node, engine.DropExpired)
		return nil
	}
	out.NotLatest = to != state.VersionIsLatest
	return p.Forward(engine.Record[K, engine.Change[V2]]{Key: r.Key, Value: out, Timestamp: r.Timestamp, Headers: r.Headers})
}

// Close implements engine.Closer.
func (p *TableTransformValues[K, V, V2]) Close() error {
	if !p.inited {
		return nil
	}
	p.inited = false
	if err := p.Transformer.Close(); err != nil {
		return fmt.Errorf("%s: close: %w", p.Node, err)
	}
	return nil
}
