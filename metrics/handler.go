// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/eddy-streams/eddy/runtime"
)

// Handler returns an http.Handler serving app's metrics in the Prometheus
// exposition formats, from a registry of its own holding a Collector of
// app and, unless DisableGoMetrics, the Go runtime and process collectors.
// Mount it where Prometheus scrapes, usually /metrics:
//
//	mux.Handle("GET /metrics", metrics.Handler(app))
//
// To serve Eddy's series beside other collectors, register NewCollector(app)
// in that registry instead.
func Handler(app *runtime.App, opts ...Opt) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(app, opts...))
	if !newCfg(opts).noGoMetrics {
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}
