// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"fmt"
	"time"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/processor"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
)

// AsOf reads a versioned table's row of key as of ts: the value of the
// version valid at ts and that version's timestamp, found false if there
// is none (no version, a tombstone, a version older than the history
// retention, or a row a derived table's filter drops). It is Kafka
// Streams' value getter get(key, asOfTimestamp).
type AsOf[K, V any] func(key K, ts int64) (row V, rowTS int64, found bool, err error)

// unknownTime is the version timestamp of a row that no version backs (a
// transformer's result for an absent row), as Kafka Streams' UNKNOWN.
const unknownTime = -1

// OpenVersionedAsOf opens the versioned store name in t and returns its
// lookup with the table's serdes, for processor node (named in errors).
func OpenVersionedAsOf[K, V any](t *engine.Task, node, name string, ks serde.Serde[K], vs serde.Serde[V]) (AsOf[K, V], error) {
	s, err := t.Versioned(name)
	if err != nil {
		return nil, err
	}
	topic := storeTopic(s.ChangelogTopic(), name)
	return func(key K, ts int64) (V, int64, bool, error) {
		var row V
		kb, err := ks.Serialize(topic, key)
		if err != nil {
			return row, unknownTime, false, fmt.Errorf("%s: store %s: serialize key: %w", node, name, err)
		}
		rec, found, err := s.Store.GetAsOf(kb, ts)
		if err != nil {
			return row, unknownTime, false, engine.Fatal(fmt.Errorf("%s: read store %s: %w", node, name, err))
		}
		if !found {
			return row, unknownTime, false, nil
		}
		if row, err = vs.Deserialize(topic, rec.Value); err != nil {
			return row, unknownTime, false, fmt.Errorf("%s: store %s: decode value: %w", node, name, err)
		}
		return row, rec.Timestamp, true, nil
	}, nil
}

// FilterAsOf is the lookup of a Filter of the table get reads: its row as
// of ts if keep accepts it (Kafka Streams' KTableFilterValueGetter).
func FilterAsOf[K, V any](get AsOf[K, V], keep func(K, V) bool) AsOf[K, V] {
	return func(key K, ts int64) (V, int64, bool, error) {
		v, vts, found, err := get(key, ts)
		if err != nil || !found || !keep(key, v) {
			var zero V
			return zero, unknownTime, false, err
		}
		return v, vts, true, nil
	}
}

// MapValuesAsOf is the lookup of a MapValues of the table get reads: fn of
// its row as of ts; a nil result (for a type with nil) is no row, as a
// null from Kafka Streams' mapper (KTableMapValuesValueGetter).
func MapValuesAsOf[K, V, V2 any](get AsOf[K, V], fn func(K, V) V2) AsOf[K, V2] {
	var isNil engine.NilCheck[V2]
	return func(key K, ts int64) (V2, int64, bool, error) {
		var out V2
		v, vts, found, err := get(key, ts)
		if err != nil || !found {
			return out, unknownTime, false, err
		}
		out = fn(key, v)
		if isNil.IsNil(&out) {
			var zero V2
			return zero, unknownTime, false, nil
		}
		return out, vts, true, nil
	}
}

// TransformValuesAsOf is the lookup of an unmaterialized TransformValues
// of the table get reads (Kafka Streams' KTableTransformValuesGetter):
// tr, an instance of its own, transforms the row as of ts, also when
// there is none (found false; a result then is a row without a version
// timestamp). tr is initialized here, for the processor node (named in
// errors) that reads the table, and closed by the returned close. During
// a lookup its context reports the version's timestamp (zero time for no
// version), no record metadata and no headers, as Kafka Streams' getter
// sets them; no stores are connected to it (in Kafka Streams it runs in
// the reading processor, which is connected to the parent's stores only).
func TransformValuesAsOf[K, V, V2 any](t *engine.Task, node string, get AsOf[K, V], tr processor.ValueTransformer[K, V, V2]) (AsOf[K, V2], func() error, error) {
	ctx := &lookupContext{procBase: procBase{node: node, t: t}}
	if err := tr.Init(ctx); err != nil {
		return nil, nil, fmt.Errorf("%s: init the transformer of the table it reads: %w", node, err)
	}
	lookup := func(key K, ts int64) (V2, int64, bool, error) {
		var out V2
		v, vts, found, err := get(key, ts)
		if err != nil {
			return out, unknownTime, false, err
		}
		ctx.inLookup, ctx.ts = true, vts
		out, ok, err := tr.Transform(key, v, found)
		ctx.inLookup = false
		if err != nil {
			return out, unknownTime, false, fmt.Errorf("%s: transform the row it reads: %w", node, err)
		}
		if !ok {
			var zero V2
			return zero, unknownTime, false, nil
		}
		return out, vts, true, nil
	}
	closeTr := func() error {
		if err := tr.Close(); err != nil {
			return fmt.Errorf("%s: close the transformer of the table it reads: %w", node, err)
		}
		return nil
	}
	return lookup, closeTr, nil
}

// lookupContext is the processor.ValueTransformerContext of a transformer
// TransformValuesAsOf calls.
type lookupContext struct {
	procBase
	inLookup bool
	ts       int64
}

func (c *lookupContext) Timestamp() time.Time {
	if !c.inLookup {
		return time.UnixMilli(c.t.RecordContext().Timestamp)
	}
	if c.ts == unknownTime {
		return time.Time{}
	}
	return time.UnixMilli(c.ts)
}

func (c *lookupContext) RecordMetadata() (processor.RecordMetadata, bool) {
	if c.inLookup {
		return processor.RecordMetadata{}, false
	}
	return c.procBase.RecordMetadata()
}

func (c *lookupContext) Headers() []record.Header {
	if c.inLookup {
		return nil
	}
	return c.procBase.Headers()
}
