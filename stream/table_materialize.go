// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"errors"
	"fmt"

	"github.com/eddy-streams/eddy/table"
)

// Materialize keeps the table in a key-value store, named with
// table.As, so it can be queried (Kafka Streams' Materialized.as on
// filter, mapValues and the table–table joins):
//
//	big := orders.Filter(isBig).Materialize(table.As("big-orders"))
//	totals := l.Join(r, sum).Materialize(table.As("totals"))
//
// The store holds the table's current rows (a deleted or filtered-out row
// is removed) with the timestamps of their last changes, and is backed by
// the changelog <app>-<name>-changelog unless table.WithoutLogging is
// given; without table.As its name is generated (and stable).
// stream.As names the processor that writes the store. Later
// joins read the table from this store. The table's value serde is the
// store's: a table of a non-primitive type needs Table.WithValueSerde
// before Materialize. A table that already has a store (Builder.Table,
// ToTable, an aggregation, or an earlier Materialize) is named where it is
// created; Materialize on it is an error reported by Build.
//
// With table.Versioned(historyRetention) the store is a versioned one, as
// Kafka Streams' Materialized.as(Stores.persistentVersionedKeyValueStore(…))
// on filter, mapValues, transformValues and the table–table joins: every
// change is kept as a version at its timestamp (a deleted or filtered-out
// row as a tombstone version) for historyRetention, stream–table joins read
// the row valid at each stream record's timestamp, and a change that does
// not become its key's latest version is forwarded marked as such, so that
// only ToStream, Filter and MapValues pass it on (see table.Versioned).
// The store in either kind is the operator's own, as in Kafka Streams: on
// a Filter, MapValues or TransformValues that sends old values (see
// Filter: downstream operators ask for them, and a Filter asks its parent
// when it is created) the old value each change carries downstream (to
// GroupBy, joins) is the store's latest row before it, as Kafka Streams'
// materialized filter and mapValues read it, and a Filter of a table that
// is not versioned drops a change whose new row it drops when the store
// has no row for the key either (nothing is put, nothing forwarded); on a
// join result it is the join's old value:
//
//	active := users.Filter(isActive).Materialize(table.As("active-users"), table.Versioned(time.Hour))
func (t Table[K, V]) Materialize(opts ...table.Option) Table[K, V] {
	m, err := table.ResolveVersioned(opts...)
	if m.Retention != 0 {
		err = errors.Join(err, errors.New("table.WithRetention applies to windowed stores only"))
	}
	if t.store != nil {
		t.b.g.Errs = append(t.b.g.Errs, fmt.Errorf("Materialize: the table is already materialized in a store; name it where it is created (with table.As)"))
		return t
	}
	if m.Versioned {
		return t.materializeVersioned(m, err)
	}
	return t.materializeIn("Materialize", storeNaming("Materialize"), m, err)
}
