package stream

import "fmt"

// Option configures an operator: its name and, for repartitioning, the
// partition count. Kafka Streams spreads these over Named, Grouped and
// Repartitioned; here one type serves them all.
type Option func(*opConfig)

type opConfig struct {
	name       string
	partitions int32
	err        error
}

// As names the operator (Kafka Streams' Named / Grouped.as /
// Repartitioned.as). On GroupBy, GroupByKey and Repartition it also names the
// repartition topic <app>-<name>-repartition. Named operators keep their
// names, and so their state and topics, whatever else changes in the
// topology.
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

func resolve(opts []Option) opConfig {
	var c opConfig
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}
