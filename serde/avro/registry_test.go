// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package avro

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/eddy-streams/eddy/serde"
)

// fakeRegistry is franz-go's in-memory Schema Registry (srfake) behind an
// HTTP server that counts the requests it serves.
type fakeRegistry struct {
	*srfake.Registry
	srv *httptest.Server
	cl  *sr.Client

	mu    sync.Mutex
	calls map[string]int // "GET /schemas/ids/1" → count
}

func newFakeRegistry(t *testing.T) *fakeRegistry {
	t.Helper()
	f := &fakeRegistry{Registry: srfake.NewRegistry(), calls: map[string]int{}}
	h := f.Handler()
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.calls[r.Method+" "+r.URL.Path]++
		f.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	cl, err := sr.NewClient(sr.URLs(f.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	f.cl = cl
	return f
}

// took returns the requests served since the last call, by method and path.
func (f *fakeRegistry) took() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = map[string]int{}
	return c
}

func (f *fakeRegistry) wantCalls(t *testing.T, what string, want map[string]int) {
	t.Helper()
	if got := f.took(); !reflect.DeepEqual(got, want) {
		t.Errorf("%s: registry requests = %v; want %v", what, got, want)
	}
}

func mustRegistry[T any](t *testing.T, cl *sr.Client, schema string, opts ...Option) serde.Serde[T] {
	t.Helper()
	s, err := Registry[T](cl, schema, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// framed returns the Confluent wire format of payload with schema id.
func framed(id uint32, payload []byte) []byte {
	return append(binary.BigEndian.AppendUint32([]byte{0}, id), payload...)
}

// plainBytes encodes v as plain Avro with schema.
func plainBytes[T any](t *testing.T, schema string, v T) []byte {
	t.Helper()
	b, err := mustNew[T](t, schema).Serialize(topic, v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRegistryAutoRegisterRoundTrip(t *testing.T) {
	f := newFakeRegistry(t)
	s := mustRegistry[userV2T](t, f.cl, userV2, AutoRegister())
	email := "ann@example.com"
	values := []userV2T{{Name: "ann", Visits: 75, Email: &email, Age: 30}, {Name: "bob", Visits: 1, Age: -1}}
	var records [][]byte
	for i := range 100 {
		v := values[i%2]
		b, err := s.Serialize(topic, v)
		if err != nil {
			t.Fatal(err)
		}
		records = append(records, b)
	}
	f.wantCalls(t, "100 Serialize calls", map[string]int{"POST /subjects/users-value/versions": 1})
	ss, ok := f.GetSchema("users-value", 1)
	if !ok || ss.Schema.Schema != userV2 {
		t.Fatalf("subject users-value version 1 = %+v, %v; want the serde's schema", ss, ok)
	}
	for i, b := range records[:2] {
		if want := framed(uint32(ss.ID), plainBytes(t, userV2, values[i])); !bytes.Equal(b, want) {
			t.Errorf("record %d = %x; want magic byte, id %d, plain Avro: %x", i, b, ss.ID, want)
		}
	}
	for i, b := range records {
		got, err := s.Deserialize(topic, b)
		if err != nil || !reflect.DeepEqual(got, values[i%2]) {
			t.Fatalf("Deserialize(record %d) = %+v, %v; want %+v", i, got, err, values[i%2])
		}
	}
	f.wantCalls(t, "100 Deserialize calls", map[string]int{"GET /schemas/ids/1": 1})

	app, err := s.(serde.Appender[userV2T]).AppendSerialize([]byte("k"), topic, values[0])
	if err != nil || !bytes.Equal(app, append([]byte("k"), records[0]...)) {
		t.Errorf("AppendSerialize = %x, %v; want prefix then %x", app, err, records[0])
	}
}

func TestRegistrySubjectStrategies(t *testing.T) {
	for _, c := range []struct {
		name    string
		opts    []Option
		topic   string
		subject string
	}{
		{"topic value", nil, "orders", "orders-value"},
		{"topic key", []Option{Key()}, "orders", "orders-key"},
		{"record", []Option{SubjectStrategy(RecordNameStrategy)}, "orders", "ex.User"},
		{"record key", []Option{Key(), SubjectStrategy(RecordNameStrategy)}, "orders", "ex.User"},
		{"topic record", []Option{SubjectStrategy(TopicRecordNameStrategy)}, "orders", "orders-ex.User"},
		{"custom", []Option{SubjectStrategy(func(topic string, key bool, record string) string {
			return "team." + topic + "." + record
		})}, "orders", "team.orders.ex.User"},
	} {
		f := newFakeRegistry(t)
		s := mustRegistry[userV1T](t, f.cl, userV1, append(c.opts, AutoRegister())...)
		if _, err := s.Serialize(c.topic, userV1T{Name: "a"}); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !f.SubjectExists(c.subject) {
			t.Errorf("%s: subject %q not registered; requests %v", c.name, c.subject, f.took())
		}
	}
	// Subjects of schemas that are not named types use the type name.
	f := newFakeRegistry(t)
	s := mustRegistry[string](t, f.cl, `"string"`, AutoRegister(), SubjectStrategy(TopicRecordNameStrategy))
	if _, err := s.Serialize("words", "hi"); err != nil || !f.SubjectExists("words-string") {
		t.Errorf("string schema with TopicRecordNameStrategy: %v; want subject words-string, requests %v", err, f.took())
	}
}

// A lookup serde writes only registered schemas, and retries a failed
// lookup on the next record.
func TestRegistryLookup(t *testing.T) {
	f := newFakeRegistry(t)
	s := mustRegistry[userV1T](t, f.cl, userV1)
	_, err := s.Serialize(topic, userV1T{Name: "a"})
	wantSerdeError(t, "unregistered subject", err, "serialize", topic, `subject "users-value"`, "ex.User", "AutoRegister", "UseLatest")

	f.SeedSchema("users-value", 1, 1, sr.Schema{Schema: userV2})
	_, err = s.Serialize(topic, userV1T{Name: "a"})
	wantSerdeError(t, "schema not in subject", err, "serialize", topic, `schema ex.User is not registered under subject "users-value"`)

	f.SeedSchema("users-value", 2, 7, sr.Schema{Schema: userV1})
	f.took()
	for range 3 {
		b, err := s.Serialize(topic, userV1T{Name: "a", Visits: 2})
		if want := framed(7, plainBytes(t, userV1, userV1T{Name: "a", Visits: 2})); err != nil || !bytes.Equal(b, want) {
			t.Fatalf("Serialize after registration = %x, %v; want %x", b, err, want)
		}
	}
	f.wantCalls(t, "lookup", map[string]int{"POST /subjects/users-value": 1})
}

// Records written with older and newer versions decode into the reader's
// type; an incompatible writer is reported with its id.
func TestRegistryEvolution(t *testing.T) {
	f := newFakeRegistry(t)
	f.SeedSchema("users-value", 1, 1, sr.Schema{Schema: userV1})
	f.SeedSchema("users-value", 2, 2, sr.Schema{Schema: userV2})
	const incompatible = `{"type":"record","name":"User","namespace":"ex","fields":[{"name":"name","type":"long"}]}`
	f.SeedSchema("other-value", 1, 3, sr.Schema{Schema: incompatible})

	old := framed(1, plainBytes(t, userV1, userV1T{Name: "old", Visits: 3}))
	email := "n@example.com"
	newer := framed(2, plainBytes(t, userV2, userV2T{Name: "new", Visits: 4, Email: &email, Age: 9}))

	v2 := mustRegistry[userV2T](t, f.cl, userV2)
	if got, err := v2.Deserialize(topic, old); err != nil || got != (userV2T{Name: "old", Visits: 3, Age: -1}) {
		t.Errorf("v1 record read with v2 = %+v, %v; want defaults for email and age", got, err)
	}
	v1 := mustRegistry[userV1T](t, f.cl, userV1)
	if got, err := v1.Deserialize(topic, newer); err != nil || got != (userV1T{Name: "new", Visits: 4}) {
		t.Errorf("v2 record read with v1 = %+v, %v; want email and age skipped", got, err)
	}
	_, err := v1.Deserialize(topic, framed(3, []byte{2}))
	wantSerdeError(t, "incompatible writer", err, "deserialize", topic, "schema id 3", "cannot be read with the serde's schema ex.User")
}

func TestRegistryUseLatest(t *testing.T) {
	f := newFakeRegistry(t)
	f.SeedSchema("users-value", 1, 4, sr.Schema{Schema: userV1})
	// T has more fields than the latest registered version: it is written
	// with that version.
	s := mustRegistry[userV2T](t, f.cl, userV2, UseLatest())
	b, err := s.Serialize(topic, userV2T{Name: "x", Visits: 5, Age: 3})
	if want := framed(4, plainBytes(t, userV1, userV1T{Name: "x", Visits: 5})); err != nil || !bytes.Equal(b, want) {
		t.Errorf("UseLatest Serialize = %x, %v; want v1 bytes with id 4: %x", b, err, want)
	}
	f.wantCalls(t, "UseLatest", map[string]int{"GET /subjects/users-value/versions/latest": 1})

	_, err = s.Serialize("empty", userV2T{})
	wantSerdeError(t, "UseLatest on a missing subject", err, "serialize", "empty", `subject "empty-value" has no schema`)
}

func TestRegistryUseSchemaID(t *testing.T) {
	f := newFakeRegistry(t)
	f.SeedSchema("shared", 1, 12, sr.Schema{Schema: userV1})
	s := mustRegistry[userV1T](t, f.cl, userV1, UseSchemaID(12))
	want := framed(12, plainBytes(t, userV1, userV1T{Name: "x"}))
	for _, tp := range []string{"a", "b", "c"} {
		if b, err := s.Serialize(tp, userV1T{Name: "x"}); err != nil || !bytes.Equal(b, want) {
			t.Errorf("topic %s: Serialize = %x, %v; want %x", tp, b, err, want)
		}
	}
	f.wantCalls(t, "UseSchemaID on three topics", map[string]int{"GET /schemas/ids/12": 1})

	bad := mustRegistry[userV1T](t, f.cl, userV1, UseSchemaID(13))
	_, err := bad.Serialize("a", userV1T{})
	wantSerdeError(t, "unknown UseSchemaID", err, "serialize", "a", "schema id 13", "avro.UseSchemaID")
}

func TestRegistryDeserializeErrors(t *testing.T) {
	f := newFakeRegistry(t)
	f.SeedSchema("users-value", 1, 1, sr.Schema{Schema: userV1})
	f.SeedSchema("json-value", 1, 2, sr.Schema{Schema: `{"type":"object"}`, Type: sr.TypeJSON})
	s := mustRegistry[userV1T](t, f.cl, userV1)
	good := framed(1, plainBytes(t, userV1, userV1T{Name: "ann", Visits: 75}))
	for _, c := range []struct {
		name  string
		data  []byte
		parts []string
	}{
		{"empty", []byte{}, []string{"empty record", "magic byte 0"}},
		{"json", []byte(`{"name":"ann"}`), []string{"first byte is 0x7b", "not the Confluent magic byte 0", "avro.New"}},
		{"short header", []byte{0, 0, 1}, []string{"3 bytes", "5-byte Confluent header"}},
		{"unknown id", framed(99, good[5:]), []string{"schema id 99 is unknown", "another registry", "error handler", "/schemas/ids/99", "40403"}},
		{"id zero", framed(0, good[5:]), []string{"schema id 0 is unknown", "apicurio.registry.as-confluent=true"}},
		{"json schema", framed(2, []byte("{}")), []string{"schema id 2 is a JSON schema, not Avro"}},
		{"truncated datum", good[:7], []string{"schema id 1", "unexpected EOF"}},
		{"trailing bytes", append(bytes.Clone(good), 0), []string{"schema id 1", "trailing bytes"}},
	} {
		_, err := s.Deserialize(topic, c.data)
		wantSerdeError(t, c.name, err, "deserialize", topic, c.parts...)
	}
	// An unknown id is asked again: the registry may learn it later.
	f.took()
	for range 2 {
		if _, err := s.Deserialize(topic, framed(99, good[5:])); err == nil {
			t.Fatal("unknown id decoded")
		}
	}
	f.wantCalls(t, "unknown id twice", map[string]int{"GET /schemas/ids/99": 2})
}

func TestRegistryConstructionErrors(t *testing.T) {
	f := newFakeRegistry(t)
	for name, c := range map[string]struct {
		cl     *sr.Client
		schema string
		opts   []Option
		want   string
	}{
		"nil client":        {nil, userV1, nil, "sr.NewClient"},
		"writer schema":     {f.cl, userV1, []Option{WriterSchema(userV1)}, "avro.WriterSchema applies only to avro.New"},
		"nil strategy":      {f.cl, userV1, []Option{SubjectStrategy(nil)}, "nil SubjectNameStrategy"},
		"zero schema id":    {f.cl, userV1, []Option{UseSchemaID(0)}, "UseSchemaID(0)"},
		"zero timeout":      {f.cl, userV1, []Option{RequestTimeout(0)}, "RequestTimeout(0s)"},
		"invalid schema":    {f.cl, `{"type":"record"}`, nil, "parse schema"},
		"last mode applies": {f.cl, userV1, []Option{UseSchemaID(-1), AutoRegister(), UseSchemaID(-2)}, "UseSchemaID(-2)"},
	} {
		_, err := Registry[userV1T](c.cl, c.schema, c.opts...)
		if err == nil || !strings.HasPrefix(err.Error(), "avro.Registry: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error = %v; want an avro.Registry error mentioning %q", name, err, c.want)
		}
	}
	f.wantCalls(t, "construction", map[string]int{})
}

// Writer schemas that reference named types of other subjects are read.
func TestRegistryReferences(t *testing.T) {
	const address = `{"type":"record","name":"Address","namespace":"ex","fields":[{"name":"city","type":"string"}]}`
	const customer = `{"type":"record","name":"Customer","namespace":"ex","fields":[
		{"name":"name","type":"string"},{"name":"home","type":"ex.Address"}]}`
	const inline = `{"type":"record","name":"Customer","namespace":"ex","fields":[
		{"name":"name","type":"string"},
		{"name":"home","type":{"type":"record","name":"Address","fields":[{"name":"city","type":"string"}]}}]}`
	type addressT struct {
		City string `avro:"city"`
	}
	type customerT struct {
		Name string   `avro:"name"`
		Home addressT `avro:"home"`
	}
	f := newFakeRegistry(t)
	f.SeedSchema("ex.Address", 1, 1, sr.Schema{Schema: address})
	f.SeedSchema("customers-value", 1, 2, sr.Schema{Schema: customer,
		References: []sr.SchemaReference{{Name: "ex.Address", Subject: "ex.Address", Version: 1}}})
	want := customerT{Name: "c", Home: addressT{City: "Oslo"}}
	data := framed(2, plainBytes(t, inline, want))
	s := mustRegistry[customerT](t, f.cl, inline)
	if got, err := s.Deserialize("customers", data); err != nil || got != want {
		t.Errorf("Deserialize with a referenced writer schema = %+v, %v; want %+v", got, err, want)
	}
	f.wantCalls(t, "references", map[string]int{"GET /schemas/ids/2": 1, "GET /subjects/ex.Address/versions/1": 1})
}

func TestRegistryRequestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	cl, err := sr.NewClient(sr.URLs(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	s := mustRegistry[userV1T](t, cl, userV1, RequestTimeout(50*time.Millisecond))
	start := time.Now()
	_, err = s.Deserialize(topic, framed(1, []byte{0, 0}))
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("Deserialize against a hung registry = %v after %v; want a deadline error soon after 50ms", err, time.Since(start))
	}
	wantSerdeError(t, "hung registry", err, "deserialize", topic, "fetch writer schema id 1")
}

// Concurrent first uses of a subject and an id share one registry request.
func TestRegistryConcurrentFirstUse(t *testing.T) {
	f := newFakeRegistry(t)
	s := mustRegistry[userV1T](t, f.cl, userV1, AutoRegister())
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				v := userV1T{Name: strings.Repeat("x", g), Visits: int64(i)}
				b, err := s.Serialize(topic, v)
				if err != nil {
					t.Error(err)
					return
				}
				if got, err := s.Deserialize(topic, b); err != nil || got != v {
					t.Errorf("round trip %+v = %+v, %v", v, got, err)
					return
				}
			}
		})
	}
	wg.Wait()
	f.wantCalls(t, "8 goroutines", map[string]int{"POST /subjects/users-value/versions": 1, "GET /schemas/ids/1": 1})
}
