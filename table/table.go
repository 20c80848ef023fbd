// Package table holds the options that materialize a table: the store's
// name (which also names its changelog topic and makes it queryable),
// retention for windowed stores, and changelogging.
//
// Tables themselves are handles in package stream (stream.Table), next to
// the streams they are built from.
package table

import (
	"fmt"
	"time"
)

// Option configures how a table is materialized.
type Option func(*Materialized)

// Materialized is the resolved set of options.
type Materialized struct {
	// Name names the store, its changelog topic <app>-<Name>-changelog and,
	// for aggregations after a key change, the repartition topic
	// <app>-<Name>-repartition. Empty means a generated, stable name.
	Name string
	// Retention is how long windows are kept (windowed stores only);
	// zero means window size + grace, as in Kafka Streams.
	Retention time.Duration
	// Logging enables the changelog topic. Default true.
	Logging bool
	// Caching puts the store's writes in the record cache
	// (runtime.Config.CacheMaxBytes). Default true.
	Caching bool

	err error
}

// As names the table's store (Kafka Streams' Materialized.as), as
// stream.As names an operator. Name every store whose state must survive
// topology changes: the name, not the operator's position, identifies the
// state and its changelog.
func As(name string) Option {
	return func(m *Materialized) {
		if name == "" {
			m.err = fmt.Errorf("table.As: empty store name")
		}
		m.Name = name
	}
}

// WithRetention sets how long a windowed store keeps windows after their
// start; it must cover window size + grace.
func WithRetention(d time.Duration) Option {
	return func(m *Materialized) {
		if d <= 0 {
			m.err = fmt.Errorf("table.WithRetention: retention must be positive, got %v", d)
		}
		m.Retention = d
	}
}

// WithoutLogging disables the store's changelog topic. The store then cannot
// be restored after its local copy is lost; use it for state that can be
// rebuilt or lost.
func WithoutLogging() Option {
	return func(m *Materialized) { m.Logging = false }
}

// WithoutCaching keeps the store's writes out of the record cache: every
// update is written, logged and forwarded downstream as it happens, as
// with runtime.Config.CacheMaxBytes set to runtime.NoCache (Kafka Streams'
// Materialized.withCachingDisabled).
func WithoutCaching() Option {
	return func(m *Materialized) { m.Caching = false }
}

// Resolve applies opts over the defaults.
func Resolve(opts ...Option) (Materialized, error) {
	m := Materialized{Logging: true, Caching: true}
	for _, o := range opts {
		if o != nil {
			o(&m)
		}
	}
	return m, m.err
}
