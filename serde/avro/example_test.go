// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package avro_test

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/eddy-streams/eddy/serde/avro"
)

func ExampleWriterSchema() {
	const v1 = `{"type":"record","name":"User","fields":[{"name":"name","type":"string"}]}`
	const v2 = `{"type":"record","name":"User","fields":[{"name":"name","type":"string"},
		{"name":"age","type":"int","default":-1}]}`
	type User struct {
		Name string `avro:"name"`
		Age  int32  `avro:"age"`
	}
	old, _ := avro.New[map[string]any](v1)
	data, _ := old.Serialize("users", map[string]any{"name": "ann"})

	s, err := avro.New[User](v2, avro.WriterSchema(v1))
	if err != nil {
		panic(err)
	}
	u, _ := s.Deserialize("users", data)
	fmt.Printf("%+v\n", u)
	// Output: {Name:ann Age:-1}
}

func ExampleRegistry() {
	// An in-memory registry for the example; in production pass the
	// registry's URL, e.g. sr.URLs("http://127.0.0.1:18081").
	reg := srfake.New()
	defer reg.Close()
	cl, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		panic(err)
	}

	const schema = `{"type":"record","name":"Order","namespace":"shop","fields":[
		{"name":"id","type":"string"},{"name":"cents","type":"long"}]}`
	type Order struct {
		ID    string `avro:"id"`
		Cents int64  `avro:"cents"`
	}
	orders, err := avro.Registry[Order](cl, schema, avro.AutoRegister())
	if err != nil {
		panic(err)
	}
	b, err := orders.Serialize("orders", Order{ID: "o-1", Cents: 1250})
	if err != nil {
		panic(err)
	}
	fmt.Printf("magic %d, schema id %d, datum % x\n", b[0], int(b[1])<<24|int(b[2])<<16|int(b[3])<<8|int(b[4]), b[5:])

	o, err := orders.Deserialize("orders", b)
	fmt.Printf("%+v %v\n", o, err)

	latest, _ := cl.SchemaByVersion(context.Background(), "orders-value", -1)
	fmt.Println(latest.Subject, latest.Version)
	// Output:
	// magic 0, schema id 1, datum 06 6f 2d 31 c4 13
	// {ID:o-1 Cents:1250} <nil>
	// orders-value 1
}
