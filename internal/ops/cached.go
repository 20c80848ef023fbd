// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"fmt"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/serde"
)

// flushedChange decodes a change a cached store writes out of the record
// cache (engine.Flushed) as the table change the store's processor
// forwards: Kafka Streams forwards a cached aggregation's or table's
// updates when they leave the cache, with the value the store held before
// as the old value. ok is false when there is nothing to forward (a key
// deleted that the store never held).
func flushedChange[K, V any](node, store, topic string, ks serde.Serde[K], vs serde.Serde[V], f engine.Flushed) (k K, ch engine.Change[V], ok bool, err error) {
	if f.New == nil && f.Old == nil {
		return k, ch, false, nil
	}
	if k, err = ks.Deserialize(topic, f.Key); err != nil {
		return k, ch, false, fmt.Errorf("%s: decode key from store %s: %w", node, store, err)
	}
	if f.New != nil {
		if ch.New, err = vs.Deserialize(topic, f.New); err != nil {
			return k, ch, false, fmt.Errorf("%s: decode value from store %s: %w", node, store, err)
		}
		ch.HasNew = true
	}
	if f.Old != nil {
		if ch.Old, err = vs.Deserialize(topic, f.Old); err != nil {
			return k, ch, false, fmt.Errorf("%s: decode old value from store %s: %w", node, store, err)
		}
		ch.HasOld = true
	}
	return k, ch, true, nil
}
