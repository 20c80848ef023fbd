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
func (t Table[K, V]) Materialize(opts ...table.Option) Table[K, V] {
	m, err := table.Resolve(opts...)
	if m.Retention != 0 {
		err = errors.Join(err, errors.New("table.WithRetention applies to windowed stores only"))
	}
	if t.store != nil {
		t.b.g.Errs = append(t.b.g.Errs, fmt.Errorf("Materialize: the table is already materialized in a store; name it where it is created (with table.As)"))
		return t
	}
	return t.materializeIn("Materialize", storeNaming("Materialize"), m, err)
}
