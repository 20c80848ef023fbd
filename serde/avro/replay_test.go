// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package avro

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
)

// exchangeFile is testdata/registry/exchanges.json: Schema Registry REST
// exchanges in the documented format (see its "about" lines), replayed by a
// server that checks every request the serdes make.
type exchangeFile struct {
	Schemas   map[string]string     `json:"schemas"`
	Scenarios map[string][]exchange `json:"scenarios"`
}

type exchange struct {
	Request struct {
		Method string `json:"method"`
		Path   string `json:"path"`
		Body   any    `json:"body"`
	} `json:"request"`
	Response struct {
		Status int `json:"status"`
		Body   any `json:"body"`
	} `json:"response"`
}

func loadExchanges(t *testing.T) exchangeFile {
	t.Helper()
	raw, err := os.ReadFile("testdata/registry/exchanges.json")
	if err != nil {
		t.Fatal(err)
	}
	var f exchangeFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// expand replaces strings "$NAME" in v by schemas[NAME].
func expand(t *testing.T, v any, schemas map[string]string) any {
	switch v := v.(type) {
	case string:
		if name, ok := strings.CutPrefix(v, "$"); ok {
			s, ok := schemas[name]
			if !ok {
				t.Fatalf("exchanges.json: unknown schema %q", name)
			}
			return s
		}
		return v
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			out[k] = expand(t, e, schemas)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = expand(t, e, schemas)
		}
		return out
	}
	return v
}

// replay serves the exchanges of one scenario in order and fails the test
// on any request that differs from the next one recorded, or if recorded
// exchanges are left when the test ends.
func replay(t *testing.T, f exchangeFile, scenario string) *sr.Client {
	t.Helper()
	script, ok := f.Scenarios[scenario]
	if !ok {
		t.Fatalf("exchanges.json has no scenario %q", scenario)
	}
	var mu sync.Mutex
	next := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		got := r.Method + " " + r.URL.RequestURI()
		if next == len(script) {
			t.Errorf("%s: unexpected request %s %s after the last recorded exchange", scenario, got, body)
			http.Error(w, "unexpected", http.StatusInternalServerError)
			return
		}
		ex := script[next]
		next++
		if want := ex.Request.Method + " " + ex.Request.Path; got != want {
			t.Errorf("%s: exchange %d: request %s; recorded %s", scenario, next, got, want)
		}
		for _, h := range []string{"Accept", "Content-Type"} {
			if v := r.Header.Get(h); v != "application/vnd.schemaregistry.v1+json" {
				t.Errorf("%s: exchange %d: %s header %q", scenario, next, h, v)
			}
		}
		wantBody := expand(t, ex.Request.Body, f.Schemas)
		var gotBody any
		if len(body) > 0 {
			if err := json.Unmarshal(body, &gotBody); err != nil {
				t.Errorf("%s: exchange %d: request body %q is not JSON: %v", scenario, next, body, err)
			}
		}
		if !reflect.DeepEqual(gotBody, wantBody) {
			t.Errorf("%s: exchange %d: request body %s; recorded %v", scenario, next, body, wantBody)
		}
		w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
		w.WriteHeader(ex.Response.Status)
		_ = json.NewEncoder(w).Encode(expand(t, ex.Response.Body, f.Schemas))
	}))
	t.Cleanup(func() {
		srv.Close()
		mu.Lock()
		defer mu.Unlock()
		if next != len(script) {
			t.Errorf("%s: %d of %d recorded exchanges were not requested", scenario, len(script)-next, len(script))
		}
	})
	cl, err := sr.NewClient(sr.URLs(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func TestReplayLookupThenRead(t *testing.T) {
	f := loadExchanges(t)
	cl := replay(t, f, "lookup-then-read")
	v1, v2 := f.Schemas["userV1"], f.Schemas["userV2"]
	s := mustRegistry[userV2T](t, cl, v2)
	email := "e@example.com"
	val := userV2T{Name: "ann", Visits: 75, Email: &email, Age: 30}
	for range 10 {
		b, err := s.Serialize(topic, val)
		if want := framed(2, plainBytes(t, v2, val)); err != nil || string(b) != string(want) {
			t.Fatalf("Serialize = %x, %v; want %x", b, err, want)
		}
	}
	old := framed(1, plainBytes(t, v1, userV1T{Name: "old", Visits: 1}))
	cur := framed(2, plainBytes(t, v2, val))
	for range 3 {
		if got, err := s.Deserialize(topic, old); err != nil || got != (userV2T{Name: "old", Visits: 1, Age: -1}) {
			t.Fatalf("Deserialize(v1 record) = %+v, %v", got, err)
		}
		if got, err := s.Deserialize(topic, cur); err != nil || !reflect.DeepEqual(got, val) {
			t.Fatalf("Deserialize(v2 record) = %+v, %v", got, err)
		}
	}
	for range 2 {
		_, err := s.Deserialize(topic, framed(42, []byte{2}))
		wantSerdeError(t, "unknown id", err, "deserialize", topic, "schema id 42 is unknown", "Schema 42 not found", "HTTP 404")
	}
}

func TestReplayLookupUnknownSubject(t *testing.T) {
	f := loadExchanges(t)
	s := mustRegistry[userV1T](t, replay(t, f, "lookup-unknown-subject"), f.Schemas["userV1"])
	_, err := s.Serialize("clicks", userV1T{})
	wantSerdeError(t, "unknown subject", err, "serialize", "clicks", `subject "clicks-value"`, "Subject 'clicks-value' not found.", "avro.AutoRegister")
}

func TestReplayAutoRegisterKeyRecordName(t *testing.T) {
	f := loadExchanges(t)
	v2 := f.Schemas["userV2"]
	s := mustRegistry[userV2T](t, replay(t, f, "auto-register-key-record-name"), v2,
		AutoRegister(), Key(), SubjectStrategy(RecordNameStrategy))
	val := userV2T{Name: "k", Age: 1}
	_, err := s.Serialize("users", val)
	wantSerdeError(t, "rejected registration", err, "serialize", "users", `subject "ex.User"`, "HTTP 409", "incompatible", "compatibility rule")
	// The rejection is not cached: the next record registers again.
	for range 2 {
		b, err := s.Serialize("users", val)
		if want := framed(3, plainBytes(t, v2, val)); err != nil || string(b) != string(want) {
			t.Fatalf("Serialize after rejection = %x, %v; want %x", b, err, want)
		}
	}
}

func TestReplayLatestTopicRecordName(t *testing.T) {
	f := loadExchanges(t)
	s := mustRegistry[userV2T](t, replay(t, f, "latest-topic-record-name"), f.Schemas["userV2"],
		UseLatest(), SubjectStrategy(TopicRecordNameStrategy))
	b, err := s.Serialize("users", userV2T{Name: "n", Visits: 9, Age: 4})
	if want := framed(1, plainBytes(t, f.Schemas["userV1"], userV1T{Name: "n", Visits: 9})); err != nil || string(b) != string(want) {
		t.Errorf("Serialize with the latest version = %x, %v; want %x", b, err, want)
	}
}

func TestReplaySchemaID(t *testing.T) {
	f := loadExchanges(t)
	s := mustRegistry[userV1T](t, replay(t, f, "schema-id"), f.Schemas["userV1"], UseSchemaID(1))
	for _, tp := range []string{"a", "b"} {
		if _, err := s.Serialize(tp, userV1T{Name: tp}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReplayReferences(t *testing.T) {
	f := loadExchanges(t)
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
	s := mustRegistry[customerT](t, replay(t, f, "references"), inline)
	want := customerT{Name: "c", Home: addressT{City: "Oslo"}}
	for range 2 {
		got, err := s.Deserialize("customers", framed(5, plainBytes(t, inline, want)))
		if err != nil || got != want {
			t.Errorf("Deserialize = %+v, %v; want %+v", got, err, want)
		}
	}
}
