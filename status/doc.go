// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package status serves a running application's status page: the
// instance and its state, its workers and tasks with their input lag and
// restore progress, the group's members and their tasks, and the topology
// drawn as a graph. The page is HTML rendered on the server with the graph
// inline as SVG; it loads no script and nothing from elsewhere, and
// refreshes itself every few seconds. /status.json has the same facts as
// JSON.
//
// One Handler can also mount the instance's Prometheus metrics and its
// interactive queries, so that a single listener serves everything:
//
//	h := status.NewHandler(app,
//		status.WithMetrics(metrics.Handler(app)),
//		status.WithQueries(query.NewHandler(app, stores)))
//	go http.ListenAndServe(addr, h)
package status
