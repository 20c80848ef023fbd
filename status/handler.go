// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package status

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/eddy-streams/eddy/runtime"
)

// Handler serves the status page at "/" and its JSON at "/status.json",
// plus the handlers given with WithMetrics ("/metrics") and WithQueries
// ("/stores/", "/instances").
type Handler struct {
	app      *runtime.App
	endpoint string
	refresh  time.Duration
	mux      *http.ServeMux
}

// Option configures a Handler.
type Option func(*Handler)

// WithMetrics mounts h (e.g. metrics.Handler(app)) at /metrics.
func WithMetrics(h http.Handler) Option {
	return func(s *Handler) { s.mux.Handle("GET /metrics", h) }
}

// WithQueries mounts h (a query.Handler) at /stores/ and /instances.
func WithQueries(h http.Handler) Option {
	return func(s *Handler) {
		s.mux.Handle("GET /stores/", h)
		s.mux.Handle("GET /instances", h)
	}
}

// WithEndpoint names the address the page says the instance serves at
// (Config.Endpoint, shown on the page). Default: none shown.
func WithEndpoint(addr string) Option { return func(s *Handler) { s.endpoint = addr } }

// WithRefresh sets how often the page reloads itself. Default 5 s; 0
// turns it off.
func WithRefresh(d time.Duration) Option { return func(s *Handler) { s.refresh = d } }

// NewHandler serves app's status.
func NewHandler(app *runtime.App, opts ...Option) *Handler {
	h := &Handler{app: app, refresh: 5 * time.Second, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /{$}", h.page)
	h.mux.HandleFunc("GET /status.json", h.json)
	for _, o := range opts {
		o(h)
	}
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// snapshotTimeout bounds the group description a page waits for.
const snapshotTimeout = 3 * time.Second

func (h *Handler) snapshot(r *http.Request) Status {
	ctx, cancel := context.WithTimeout(r.Context(), snapshotTimeout)
	defer cancel()
	return Snapshot(ctx, h.app, h.endpoint)
}

func (h *Handler) json(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(h.snapshot(r))
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := render(w, h.snapshot(r), h.app.Topology().SVG(), h.app.Topology().Describe(), h.refresh); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}
