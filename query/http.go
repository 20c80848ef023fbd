// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package query

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"time"

	"github.com/eddy-streams/eddy/runtime"
)

// Handler answers queries of an application's stores over HTTP with JSON,
// for any key from any instance: a key lookup is forwarded to the instance
// that runs the key's task (its Config.Endpoint), and a scan gathers every
// instance's partitions. Mount it in your server at "/" or under a prefix
// with http.StripPrefix.
//
// Routes and answers:
//
//	GET /instances
//	    200 [{"endpoint","instance","active":["0_1"],"standby":[]}]  (runtime.InstanceMetadata)
//	GET /stores/{store}/keys/{key}/metadata
//	    200 {"partition","task","active","local","standbys"}  (runtime.KeyQueryMetadata)
//	GET /stores/{store}/keys/{key}                      key-value stores
//	    200 {"key":K,"value":V,"timestamp":"RFC 3339"}
//	    404 {"error":"..."}: the store holds no value for the key
//	GET /stores/{store}/keys/{key}?from=T&to=T          window stores (T: RFC 3339 or epoch ms; default all)
//	GET /stores/{store}/keys/{key}                      session stores
//	    200 [{"key":K,"start":"...","end":"...","value":V,"timestamp":"..."}]
//	GET /stores/{store}/all                             key-value stores, every instance's partitions
//	    200 [{"key":K,"value":V,"timestamp":"..."}], ordered by key per instance
//
// Keys in paths are parsed into K: as is for strings, in decimal for
// integers, as JSON otherwise (see KeyParser). Add ?standby=true to a key
// lookup to accept a standby replica's copy; the answer then has
// "standby":true and "lag" (changelog records the copy is behind).
//
// Errors: 503 with a Retry-After header while the group rebalances or the
// key's task restores (retry), 404 for an unknown store or key, 400 for a
// key that does not parse, 502 when the owning instance cannot be reached.
// Every error body is {"error":"..."}.
type Handler struct {
	app    *runtime.App
	stores map[string]endpoint
	client *http.Client
	mux    *http.ServeMux
}

// Servable is a store handle the Handler can serve: a *KeyValueStore,
// *WindowStore or *SessionStore.
type Servable interface {
	endpoint() endpoint
}

// endpoint answers one store's routes on this instance.
type endpoint interface {
	name() string
	// whole reports whether every instance holds the whole store (a
	// global table's).
	whole() bool
	// keyBytes serializes key (from the path).
	keyBytes(key string) ([]byte, error)
	// get answers a key lookup on this instance: the JSON value, or
	// found=false.
	get(ctx context.Context, key string, q url.Values, opts []ReadOption) (v any, found bool, err error)
	// all answers this instance's partitions of a scan.
	all(ctx context.Context) ([]any, error)
}

// HandlerOption configures a Handler.
type HandlerOption func(*Handler)

// WithClient sets the client that forwards queries to other instances.
// Default: a client with a 10 s timeout.
func WithClient(c *http.Client) HandlerOption { return func(h *Handler) { h.client = c } }

// NewHandler serves stores of app.
func NewHandler(app *runtime.App, stores []Servable, opts ...HandlerOption) *Handler {
	h := &Handler{app: app, stores: map[string]endpoint{}, client: &http.Client{Timeout: 10 * time.Second}, mux: http.NewServeMux()}
	for _, s := range stores {
		e := s.endpoint()
		h.stores[e.name()] = e
	}
	for _, o := range opts {
		o(h)
	}
	h.mux.HandleFunc("GET /instances", h.instances)
	h.mux.HandleFunc("GET /stores/{store}/keys/{key}/metadata", h.metadata)
	h.mux.HandleFunc("GET /stores/{store}/keys/{key}", h.key)
	h.mux.HandleFunc("GET /stores/{store}/all", h.all)
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Handler) instances(w http.ResponseWriter, r *http.Request) {
	md, err := h.app.QueryMetadata(r.Context())
	if err != nil {
		fail(w, err)
		return
	}
	reply(w, http.StatusOK, md)
}

func (h *Handler) store(w http.ResponseWriter, r *http.Request) (endpoint, bool) {
	e, ok := h.stores[r.PathValue("store")]
	if !ok {
		reply(w, http.StatusNotFound, errorBody{fmt.Sprintf("no queryable store %q on this instance's handler", r.PathValue("store"))})
	}
	return e, ok
}

func (h *Handler) metadata(w http.ResponseWriter, r *http.Request) {
	e, ok := h.store(w, r)
	if !ok {
		return
	}
	kb, err := e.keyBytes(r.PathValue("key"))
	if err != nil {
		reply(w, http.StatusBadRequest, errorBody{err.Error()})
		return
	}
	md, err := h.app.QueryMetadataForKey(r.Context(), e.name(), kb)
	if err != nil {
		fail(w, err)
		return
	}
	reply(w, http.StatusOK, md)
}

// forwardedParam marks a request forwarded by another instance's Handler:
// it is answered here or refused, never forwarded again.
const forwardedParam = "forwarded"

func (h *Handler) key(w http.ResponseWriter, r *http.Request) {
	e, ok := h.store(w, r)
	if !ok {
		return
	}
	key := r.PathValue("key")
	q := r.URL.Query()
	standby := q.Get("standby") == "true"
	var opts []ReadOption
	var info runtime.ReadInfo
	if standby {
		opts = append(opts, FromStandby(&info))
	}
	if q.Get(forwardedParam) == "" {
		kb, err := e.keyBytes(key)
		if err != nil {
			reply(w, http.StatusBadRequest, errorBody{err.Error()})
			return
		}
		md, err := h.app.QueryMetadataForKey(r.Context(), e.name(), kb)
		if err != nil {
			fail(w, err)
			return
		}
		if !md.Local && !standby {
			if md.Active == "" {
				retry(w, fmt.Sprintf("store %q: no instance with an endpoint runs task %s now (the group may be rebalancing)", e.name(), md.Task))
				return
			}
			h.forward(w, r, md.Active)
			return
		}
	}
	v, found, err := e.get(r.Context(), key, q, opts)
	if err != nil {
		fail(w, err)
		return
	}
	if !found {
		reply(w, http.StatusNotFound, errorBody{fmt.Sprintf("store %q has no value for key %q", e.name(), key)})
		return
	}
	if standby {
		v = standbyAnswer{Value: v, Standby: info.Standby, Lag: info.Lag}
	}
	reply(w, http.StatusOK, v)
}

// standbyAnswer wraps an answer read with ?standby=true.
type standbyAnswer struct {
	Value   any   `json:"value"`
	Standby bool  `json:"standby"`
	Lag     int64 `json:"lag"`
}

func (h *Handler) all(w http.ResponseWriter, r *http.Request) {
	e, ok := h.store(w, r)
	if !ok {
		return
	}
	if r.URL.Query().Get(forwardedParam) != "" || e.whole() {
		vs, err := e.all(r.Context())
		if err != nil {
			fail(w, err)
			return
		}
		reply(w, http.StatusOK, vs)
		return
	}
	md, err := h.app.QueryMetadata(r.Context())
	if err != nil {
		fail(w, err)
		return
	}
	out := []json.RawMessage{}
	for _, inst := range md {
		if len(inst.Active) == 0 {
			continue
		}
		if inst.Instance == h.app.InstanceID() {
			vs, err := e.all(r.Context())
			if err != nil {
				fail(w, err)
				return
			}
			for _, v := range vs {
				b, _ := json.Marshal(v)
				out = append(out, b)
			}
			continue
		}
		if inst.Endpoint == "" {
			retry(w, fmt.Sprintf("instance %s runs tasks of store %q but has no endpoint (Config.Endpoint)", inst.Instance, e.name()))
			return
		}
		var part []json.RawMessage
		status, err := h.get(r.Context(), inst.Endpoint, r.URL, &part)
		if err != nil {
			reply(w, http.StatusBadGateway, errorBody{err.Error()})
			return
		}
		if status != http.StatusOK {
			retry(w, fmt.Sprintf("instance %s answered %d for store %q", inst.Endpoint, status, e.name()))
			return
		}
		out = append(out, part...)
	}
	reply(w, http.StatusOK, out)
}

// forward relays r to the instance at endpoint.
func (h *Handler) forward(w http.ResponseWriter, r *http.Request, endpoint string) {
	u := forwardURL(endpoint, r.URL)
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, u, nil)
	if err != nil {
		reply(w, http.StatusInternalServerError, errorBody{err.Error()})
		return
	}
	resp, err := h.client.Do(req)
	if err != nil {
		reply(w, http.StatusBadGateway, errorBody{fmt.Sprintf("forward to %s: %v", endpoint, err)})
		return
	}
	defer resp.Body.Close()
	for _, k := range []string{"Content-Type", "Retry-After"} {
		if v := resp.Header.Get(k); v != "" {
			w.Header().Set(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// get fetches a forwarded scan from endpoint into out.
func (h *Handler) get(ctx context.Context, endpoint string, from *url.URL, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, forwardURL(endpoint, from), nil)
	if err != nil {
		return 0, err
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("gather from %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	return resp.StatusCode, json.NewDecoder(resp.Body).Decode(out)
}

func forwardURL(endpoint string, from *url.URL) string {
	q := from.Query()
	q.Set(forwardedParam, "1")
	return (&url.URL{Scheme: "http", Host: endpoint, Path: from.Path, RawPath: from.RawPath, RawQuery: q.Encode()}).String()
}

type errorBody struct {
	Error string `json:"error"`
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// retryAfter is the Retry-After of 503 answers, in seconds.
const retryAfter = "1"

func retry(w http.ResponseWriter, msg string) {
	w.Header().Set("Retry-After", retryAfter)
	reply(w, http.StatusServiceUnavailable, errorBody{msg})
}

// fail answers a read error.
func fail(w http.ResponseWriter, err error) {
	var se *runtime.StoreError
	switch {
	case errors.As(err, &se) && se.Retryable(), errors.Is(err, runtime.ErrNotHosted), errors.Is(err, runtime.ErrNotRunning):
		// Not hosted after routing: the task moved since the metadata
		// was read; the next try routes afresh.
		retry(w, err.Error())
	case errors.Is(err, runtime.ErrUnknownStore):
		reply(w, http.StatusNotFound, errorBody{err.Error()})
	default:
		reply(w, http.StatusInternalServerError, errorBody{err.Error()})
	}
}

// KeyParser turns a key from a URL path into K. The default parses
// strings as is, integers in decimal, and other types as JSON.
type KeyParser[K any] func(string) (K, error)

func defaultParser[K any]() KeyParser[K] {
	return func(s string) (K, error) {
		var k K
		rv := reflect.ValueOf(&k).Elem()
		switch rv.Kind() {
		case reflect.String:
			rv.SetString(s)
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			n, err := strconv.ParseInt(s, 10, rv.Type().Bits())
			if err != nil {
				return k, fmt.Errorf("key %q: %w", s, err)
			}
			rv.SetInt(n)
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			n, err := strconv.ParseUint(s, 10, rv.Type().Bits())
			if err != nil {
				return k, fmt.Errorf("key %q: %w", s, err)
			}
			rv.SetUint(n)
		default:
			if err := json.Unmarshal([]byte(s), &k); err != nil {
				return k, fmt.Errorf("key %q is not JSON for %T: %w", s, k, err)
			}
		}
		return k, nil
	}
}

// parseTime reads a query time: RFC 3339 or epoch milliseconds; def if empty.
func parseTime(s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms), nil
	}
	return time.Parse(time.RFC3339Nano, s)
}
