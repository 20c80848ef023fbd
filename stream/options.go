// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"errors"
	"fmt"
	"time"

	"github.com/eddy-streams/eddy/internal/topology"
	"github.com/eddy-streams/eddy/table"
)

// Option configures an operator: its name and, for repartitioning, the
// partition count. Kafka Streams spreads these over Named, Grouped and
// Repartitioned; here one type serves them all.
type Option func(*opConfig)

type opConfig struct {
	name       string
	partitions int32
	err        error
	// grace is the grace period of a stream–table join (WithGracePeriod).
	grace    time.Duration
	hasGrace bool
}

// As names the operator (Kafka Streams' Named / Grouped.as /
// Repartitioned.as / StreamJoined.withName / Suppressed.withName). Named
// operators keep their names, and so their state and topics, whatever else
// changes in the topology.
//
// The name goes to the operator's processors, and to the internal resources
// that belong to the operator alone:
//
//   - GroupBy, GroupByKey, Repartition and Table.GroupBy: the repartition
//     topic <app>-<name>-repartition (and its sink and source processors);
//   - JoinTable, LeftJoinTable after a key change: <app>-<name>-repartition;
//   - Join, LeftJoin, OuterJoin of streams: the processors
//     <name>-this-join, <name>-other-join and <name>-merge, the window
//     stores <name>-this-join-store and <name>-other-join-store, the store
//     of unmatched records <name>-left-shared-join-store (LeftJoin) or
//     <name>-outer-shared-join-store (OuterJoin) and, after a key change,
//     the repartition topics <name>-left-repartition and
//     <name>-right-repartition; a side whose unmatched records are emitted
//     says "outer" (<name>-outer-other-join, <name>-outer-other-join-store,
//     and for OuterJoin <name>-outer-this-join…), all as Kafka Streams names
//     them with StreamJoined.withName(name).withStoreName(name);
//   - Table.Join, LeftJoin, OuterJoin: the processors <name>-join-this,
//     <name>-join-other and <name>;
//   - suppressions: the processor and its buffer store <name>-store.
//
// As is also a table.Option: passed to an operator that creates a table
// (Count, Reduce, Aggregate, Builder.Table, ToTable, Materialize, …) it
// names the operator's processor, while table.As names the table's store:
//
//	Count(stream.As("count-words"), table.As("word-counts"))
//
// On Builder.Table and Builder.GlobalTable it names the table processor
// <name> and the source <name>-source, as Kafka Streams' Consumed.as does.
func As(name string) Option {
	return func(c *opConfig) {
		if name == "" {
			c.err = fmt.Errorf("stream.As: empty name")
		}
		c.name = name
	}
}

// Partitions sets the partition count of a Repartition topic; by default it
// is the largest partition count among the upstream source topics.
func Partitions(n int32) Option {
	return func(c *opConfig) {
		if n <= 0 {
			c.err = fmt.Errorf("stream.Partitions: partition count must be positive, got %d", n)
		}
		c.partitions = n
	}
}

// ApplyToTable makes an Option a table.Option: As names the operator that
// creates the table (table.Materialized.Operator). Partitions does not
// apply to tables and is reported as an error.
func (o Option) ApplyToTable(m *table.Materialized) error {
	var c opConfig
	if o != nil {
		o(&c)
	}
	if c.partitions != 0 {
		c.err = errors.Join(c.err, errors.New("stream.Partitions applies to repartitioning operators, not to an operator that creates a table"))
	}
	if c.name != "" {
		m.Operator = c.name
	}
	return c.err
}

func resolve(opts []Option) opConfig {
	var c opConfig
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// storeNaming tells RequireExplicitNames' errors that method's store is
// named with table.As.
func storeNaming(method string) topology.Naming {
	return topology.Naming{Method: method, Hint: "pass table.As(name) to " + method}
}

// aggNaming is storeNaming for an aggregation whose operator is op
// ("COUNT", "REDUCE", "AGGREGATE").
func aggNaming(op string) topology.Naming { return storeNaming(aggMethod(op)) }

// aggMethod is the DSL method of aggregation operator op.
func aggMethod(op string) string {
	switch op {
	case "COUNT":
		return "Count"
	case "REDUCE":
		return "Reduce"
	case "AGGREGATE":
		return "Aggregate"
	case "COGROUP":
		return "Aggregate (of the cogrouped stream)"
	}
	return op
}

// opNaming tells RequireExplicitNames' errors that method's resource is
// named with stream.As on it.
func opNaming(method string) topology.Naming {
	return topology.Naming{Method: method, Hint: "pass stream.As(name) to " + method}
}
