// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package metrics

import "github.com/prometheus/client_golang/prometheus"

// Opt configures a Collector or a Handler.
type Opt interface{ apply(*cfg) }

type cfg struct {
	constLabels prometheus.Labels
	noGoMetrics bool
}

type opt struct{ fn func(*cfg) }

func (o opt) apply(c *cfg) { o.fn(c) }

func newCfg(opts []Opt) cfg {
	var c cfg
	for _, o := range opts {
		o.apply(&c)
	}
	return c
}

// ConstLabels adds labels with fixed values to every Eddy series, for
// example to tell apart several instances of one application registered in
// one registry (their series are otherwise identical). The series always
// carry application_id, the instance's Config.AppID; a label of that name
// here is ignored.
//
// Default: none.
func ConstLabels(labels prometheus.Labels) Opt {
	return opt{func(c *cfg) {
		c.constLabels = prometheus.Labels{}
		for k, v := range labels {
			c.constLabels[k] = v
		}
	}}
}

// DisableGoMetrics makes a Handler serve Eddy's series only, without the Go
// runtime's and the process's (Prometheus' Go and process collectors:
// go_goroutines, go_memstats_*, process_resident_memory_bytes, ...). A
// Collector ignores it.
//
// Default: a Handler serves them.
func DisableGoMetrics() Opt { return opt{func(c *cfg) { c.noGoMetrics = true }} }
