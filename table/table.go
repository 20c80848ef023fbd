// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package table holds the options that materialize a table: the store's
// name (which also names its changelog topic and makes it queryable),
// retention for windowed stores, changelogging and caching.
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
// names) and returns the result with every option's error.
func Resolve(opts ...Option) (Materialized, error) {
	m := Materialized{Logging: true, Caching: true}
	var errs []error
	for _, o := range opts {
		if o != nil {
			if err := o.ApplyToTable(&m); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return m, errors.Join(errs...)
}
