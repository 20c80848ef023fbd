// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package serde

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

type order struct {
	ID    string            `json:"id"`
	Qty   int               `json:"qty"`
	Price float64           `json:"price"`
	Tags  map[string]string `json:"tags,omitempty"`
	Note  string            `json:"note,omitempty"`
}

func TestJSON(t *testing.T) {
	s := JSON[order]()
	v := order{ID: "o-1", Qty: 3, Price: 9.5, Tags: map[string]string{"z": "1", "a": "<&>"}}
	const want = `{"id":"o-1","qty":3,"price":9.5,"tags":{"a":"<&>","z":"1"}}`
	for range 3 { // map keys are sorted, so the output never varies
		b, err := s.Serialize(topic, v)
		if err != nil || string(b) != want {
			t.Fatalf("Serialize = %s, %v; want %s", b, err, want)
		}
	}
	b, err := s.(Appender[order]).AppendSerialize([]byte("k="), topic, v)
	if err != nil || string(b) != "k="+want {
		t.Errorf("AppendSerialize = %s, %v", b, err)
	}
	back, err := s.Deserialize(topic, []byte(want))
	if err != nil || !reflect.DeepEqual(back, v) {
		t.Errorf("Deserialize = %+v, %v; want %+v", back, err, v)
	}
}

func TestJSONErrors(t *testing.T) {
	s := JSON[order]()
	for _, in := range []string{``, `{`, `{"qty":"x"}`, `{} {}`, `[1]`} {
		_, err := s.Deserialize(topic, []byte(in))
		var se *Error
		if !errors.As(err, &se) || se.Serde != "JSON" || se.Op != "deserialize" || se.Topic != topic ||
			!strings.Contains(err.Error(), `(topic "orders")`) {
			t.Errorf("Deserialize(%q) error = %v; want *Error naming JSON and the topic", in, err)
		}
	}
	_, err := JSON[func()]().Serialize(topic, func() {})
	var se *Error
	if !errors.As(err, &se) || se.Op != "serialize" {
		t.Errorf("Serialize(func) error = %v; want *Error", err)
	}
}
