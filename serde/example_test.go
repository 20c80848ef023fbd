// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package serde_test

import (
	"fmt"
	"time"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/window"
)

func ExampleInt64() {
	b, _ := serde.Int64().Serialize("counts", 1)
	fmt.Printf("% x\n", b)
	// Output: 00 00 00 00 00 00 00 01
}

func ExampleAppend() {
	buf := make([]byte, 0, 64) // reused for every record
	for _, word := range []string{"hello", "world"} {
		buf, _ = serde.Append(serde.String(), buf[:0], "words", word)
		fmt.Printf("%q\n", buf)
	}
	// Output:
	// "hello"
	// "world"
}

func ExampleTimeWindowed() {
	s := serde.TimeWindowed(serde.String(), 60_000*time.Millisecond)
	b, _ := s.Serialize("counts", window.Of("user-42", time.UnixMilli(1_700_000_040_000), time.UnixMilli(1_700_000_100_000)))
	fmt.Printf("% x\n", b)

	key, start, _ := serde.SplitTimeWindowedKey(b) // partition by key
	fmt.Printf("%s %d\n", key, start)

	w, _ := s.Deserialize("counts", b)
	fmt.Println(w)
	// Output:
	// 75 73 65 72 2d 34 32 00 00 01 8b cf e6 04 40
	// user-42 1700000040000
	// user-42@[2023-11-14T22:14:00Z,2023-11-14T22:15:00Z)
}
