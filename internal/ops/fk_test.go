// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"encoding/hex"
	"testing"

	"github.com/eddy-streams/eddy/serde"
)

// Kafka Streams' Murmur3Test vectors (seed 123), as signed longs.
func TestMurmur3MatchesKafkaStreams(t *testing.T) {
	cases := []struct {
		in     string
		h1, h2 int64
	}{
		{"21", 5857341059704281894, -5288187638297930763},
		{"foobar", -351361463397418609, 8959716011862540668},
		{"a-little-bit-long-string", 8836256500583638442, -198172363548498523},
		{"a-little-bit-longer-string", 1838346159335108511, 8794688210320490705},
		{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -4024021876037397259, -1482317706335141238},
		{"abc", 1489494923063836066, -5440978547625122829},
	}
	for _, c := range cases {
		h1, h2 := murmur3x64128([]byte(c.in), 123)
		if int64(h1) != c.h1 || int64(h2) != c.h2 {
			t.Errorf("murmur3(%q, 123) = %d %d, want %d %d", c.in, int64(h1), int64(h2), c.h1, c.h2)
		}
	}
	// With Kafka Streams' default seed, from Murmur3.hash128 (jshell,
	// kafka-streams 4.4.0).
	for _, c := range []struct {
		in     string
		h1, h2 uint64
	}{
		{"value-1", 0x8dbcd6bea0d4226c, 0x0ddf1b0b917521a7},
		{"", 0x9d2764a018e32942, 0x8c3cf3b035938518},
		{"0123456789abcdef0123456789abcdefXYZ\u00e9", 0xe1797fb2d9e3385f, 0xc6182428f17d7c33},
	} {
		if h := HashValue([]byte(c.in)); h.H1 != c.h1 || h.H2 != c.h2 || h.Null {
			t.Errorf("HashValue(%q) = %x %x, want %x %x", c.in, h.H1, h.H2, c.h1, c.h2)
		}
	}
}

// The wrappers' bytes as Kafka Streams 4.4.0's SubscriptionWrapperSerde
// and SubscriptionResponseWrapperSerde write them (jshell).
func TestFKWireFormatMatchesKafkaStreams(t *testing.T) {
	h := HashValue([]byte("value-1"))
	subs := FKSubscriptionSerde[string]{PK: serde.String(), PKTopic: "pk-topic"}
	for _, c := range []struct {
		sub  FKSubscription[string]
		want string
	}{
		{FKSubscription[string]{Hash: h, Instruction: FKPropagateNullIfNoValue, PK: "k1", Partition: 7},
			"01028dbcd6bea0d4226c0ddf1b0b917521a76b3100000007"},
		{FKSubscription[string]{Hash: FKHash{Null: true}, Instruction: FKDeleteAndPropagate, PK: "k1", Partition: 2},
			"81016b3100000002"},
	} {
		b, err := subs.Serialize("t", c.sub)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(b); got != c.want {
			t.Errorf("subscription %+v = %s, want %s", c.sub, got, c.want)
		}
		back, err := subs.Deserialize("t", b)
		if err != nil {
			t.Fatal(err)
		}
		if back != c.sub {
			t.Errorf("subscription round trip: %+v, want %+v", back, c.sub)
		}
	}
	resps := FKResponseSerde[string]{Value: serde.String()}
	for _, c := range []struct {
		resp FKResponse[string]
		want string
		back FKResponse[string]
	}{
		{FKResponse[string]{Hash: h, Value: "rv", HasValue: true, Partition: 3}, "008dbcd6bea0d4226c0ddf1b0b917521a77276",
			FKResponse[string]{Hash: h, Value: "rv", HasValue: true, Partition: -1}},
		{FKResponse[string]{Hash: FKHash{Null: true}, Partition: 3}, "80",
			FKResponse[string]{Hash: FKHash{Null: true}, Partition: -1}},
		// An empty right value reads back as none, as in Kafka Streams.
		{FKResponse[string]{Hash: h, Value: "", HasValue: true}, "008dbcd6bea0d4226c0ddf1b0b917521a7",
			FKResponse[string]{Hash: h, Partition: -1}},
	} {
		b, err := resps.Serialize("t", c.resp)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(b); got != c.want {
			t.Errorf("response %+v = %s, want %s", c.resp, got, c.want)
		}
		back, err := resps.Deserialize("t", b)
		if err != nil {
			t.Fatal(err)
		}
		if back != c.back {
			t.Errorf("response round trip: %+v, want %+v", back, c.back)
		}
	}
	for _, bad := range []string{"", "02", "0105", "01026b31", "0002"} {
		b, _ := hex.DecodeString(bad)
		if _, err := subs.Deserialize("t", b); err == nil {
			t.Errorf("subscription %q: no error", bad)
		}
	}
	if _, err := resps.Deserialize("t", []byte{0x01}); err == nil {
		t.Error("response version 1: no error")
	}
	if _, err := resps.Deserialize("t", []byte{0x00, 1, 2}); err == nil {
		t.Error("truncated response hash: no error")
	}
}

func TestFKCombinedKey(t *testing.T) {
	k := fkCombinedKey([]byte("fk"), []byte("pk1"))
	if got := hex.EncodeToString(k); got != "00000002"+"666b"+"706b31" {
		t.Errorf("combined key = %s", got)
	}
	if got := hex.EncodeToString(fkPrefix(nil, []byte("fk"))); got != "00000002"+"666b" {
		t.Errorf("prefix = %s", got)
	}
}
