// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package table holds the options that materialize a table: the store's
// name (which also names its changelog topic and makes it queryable),
// retention for windowed stores, versioned stores, changelogging and
// caching.
//
// Tables themselves are handles in package stream (stream.Table), next to
// the streams they are built from. The operators that create a table
// (aggregations, Builder.Table, ToTable, Materialize, …) take Options: the
// options of this package configure the table's store, and stream.As,
// which is an Option too, names the operator itself, as Kafka Streams'
// Named does next to Materialized:
//
//	words.GroupByKey().Count(stream.As("count-words"), table.As("word-counts"))
package table

import (
	"errors"
	"fmt"
	"time"
)

// Option configures a table created by an operator. The options of this
// package configure the table's store; stream.As is an Option too and names
// the operator that creates the table (its processor), not the store.
type Option interface {
	// ApplyToTable applies the option to m, or reports why it cannot
	// (an empty name, an option that does not apply to tables). Build
	// reports the error, naming the operator.
	ApplyToTable(m *Materialized) error
}

// option is an Option of this package.
type option func(*Materialized) error

// ApplyToTable implements Option.
func (o option) ApplyToTable(m *Materialized) error { return o(m) }

// Materialized is the resolved set of options.
type Materialized struct {
	// Name names the store, its changelog topic <app>-<Name>-changelog and,
	// for aggregations after a key change, the repartition topic
	// <app>-<Name>-repartition. Empty means a generated, stable name.
	Name string
	// Operator names the operator that creates the table, as given with
	// stream.As: the processor Describe shows (Kafka Streams' Named).
	// Empty means a generated, stable name. It never names the store.
	Operator string
	// Retention is how long windows are kept (windowed stores only);
	// zero means window size + grace, as in Kafka Streams.
	Retention time.Duration
	// Logging enables the changelog topic. Default true.
	Logging bool
	// Caching puts the store's writes in the record cache
	// (runtime.Config.CacheMaxBytes). Default true.
	Caching bool
	// Versioned materializes the table in a versioned store keeping
	// HistoryRetention of history (set by the Versioned option).
	Versioned        bool
	HistoryRetention time.Duration
}

// Versioned materializes the table in a versioned key-value store that keeps
// every version of a row written within historyRetention (Kafka Streams'
// Materialized.as(Stores.persistentVersionedKeyValueStore(name,
// historyRetention)), KIP-889). As in Kafka Streams it applies to every
// key-value table: Builder.Table, Stream.ToTable, Table.Materialize (which
// keeps a Filter, MapValues or table–table join result in a versioned
// store), Table.TransformValues (with As), and the Count, Reduce and
// Aggregate of grouped streams, grouped tables and cogroups; not to
// windowed or session aggregations or global tables.
//
// An aggregation into a versioned store puts each aggregate as a version at
// its timestamp (the largest timestamp that contributed to it); an
// aggregate older than historyRetention behind the largest timestamp the
// store has seen is neither stored nor forwarded, as in Kafka Streams.
//
// A versioned table's row is the one with the latest timestamp, not the
// last to arrive: an update older than its key's current row (out of order)
// is kept in the history and triggers no join or aggregation downstream
// (Filter, MapValues and ToStream still pass it on, as in Kafka Streams),
// and an update older than historyRetention behind the largest timestamp
// seen is dropped. A stream–table join with a
// versioned table (Stream.JoinTable, Stream.LeftJoinTable), or with a
// Filter or MapValues of one, joins each stream record with the row valid
// at the record's timestamp. Versioned
// stores are not cached (table.WithoutCaching is implied) and a versioned
// table cannot be suppressed. The store's changelog records carry each
// version's timestamp, so a restore rebuilds the history.
//
// historyRetention must not be negative; zero keeps only the latest row
// and drops every out-of-order update.
func Versioned(historyRetention time.Duration) Option {
	return option(func(m *Materialized) error {
		if historyRetention < 0 {
			return fmt.Errorf("table.Versioned: history retention must not be negative, got %v", historyRetention)
		}
		if historyRetention%time.Millisecond != 0 {
			return fmt.Errorf("table.Versioned: history retention must be a whole number of milliseconds, got %v", historyRetention)
		}
		m.Versioned, m.HistoryRetention = true, historyRetention
		return nil
	})
}

// As names the table's store (Kafka Streams' Materialized.as), as
// stream.As names an operator. Name every store whose state must survive
// topology changes: the name, not the operator's position, identifies the
// state and its changelog.
func As(name string) Option {
	return option(func(m *Materialized) error {
		if name == "" {
			return fmt.Errorf("table.As: empty store name")
		}
		m.Name = name
		return nil
	})
}

// WithRetention sets how long a windowed store keeps windows after their
// start; it must cover window size + grace.
func WithRetention(d time.Duration) Option {
	return option(func(m *Materialized) error {
		m.Retention = d
		if d <= 0 {
			return fmt.Errorf("table.WithRetention: retention must be positive, got %v", d)
		}
		return nil
	})
}

// WithoutLogging disables the store's changelog topic. The store then cannot
// be restored after its local copy is lost; use it for state that can be
// rebuilt or lost.
func WithoutLogging() Option {
	return option(func(m *Materialized) error { m.Logging = false; return nil })
}

// WithoutCaching keeps the store's writes out of the record cache: every
// update is written, logged and forwarded downstream as it happens, as
// with runtime.Config.CacheMaxBytes set to runtime.NoCache (Kafka Streams'
// Materialized.withCachingDisabled).
func WithoutCaching() Option {
	return option(func(m *Materialized) error { m.Caching = false; return nil })
}

// Resolve applies opts over the defaults (logging and caching on, generated
// names) and returns the result with every option's error. Versioned is
// an error: operators that can create a versioned table call
// ResolveVersioned.
func Resolve(opts ...Option) (Materialized, error) {
	m, err := ResolveVersioned(opts...)
	if m.Versioned {
		err = errors.Join(err, errors.New("table.Versioned applies to key-value tables only (Builder.Table, Stream.ToTable, Table.Materialize, "+
			"Table.TransformValues, the aggregations of grouped streams and tables, and cogroups), as in Kafka Streams; "+
			"not to windowed or session aggregations or global tables"))
	}
	return m, err
}

// ResolveVersioned is Resolve for the operators that can materialize a
// versioned table: Versioned is allowed, and turns caching off.
func ResolveVersioned(opts ...Option) (Materialized, error) {
	m := Materialized{Logging: true, Caching: true}
	var errs []error
	for _, o := range opts {
		if o != nil {
			if err := o.ApplyToTable(&m); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if m.Versioned {
		m.Caching = false
	}
	return m, errors.Join(errs...)
}
